/**
 * Live across workstations (site mode): a view that lists recordings reloads itself when the
 * service says another workstation added or signed one (`recordings.changed`), without taking the
 * user's place away — the page they are on, the filter, the scroll position and the focused row
 * stay; while a dialog is open the reload waits until it closes (a dialog's form is never thrown
 * away under the user). Bursts (a colleague importing a folder) become one reload.
 */
import type { ApiClient, ApiEvents } from '../../../src/service/api';

type Change = ApiEvents['recordings.changed'];

/** Short enough to stay well inside "within a second", long enough to fold a burst into one reload. */
const SETTLE_MS = 120;

export interface LiveRefresh {
  /** Stop listening (the view's disposer calls it). */
  stop(): void;
}

/**
 * Calls `reload()` after a change `wanted` accepts. Never two reloads at once: a change that arrives
 * during one schedules one more after it. `reload` must keep the view's own state (offset, filter).
 */
export function liveRefresh(
  api: ApiClient,
  wanted: (c: Change) => boolean,
  reload: () => Promise<void>,
  doc: Document = document,
): LiveRefresh {
  let timer = 0;
  const st = { running: false, again: false, stopped: false };
  /** Read through a call: a change may have set it during the await (no narrowing across it). */
  const wantsAgain = (): boolean => st.again && !st.stopped;

  const dialogOpen = (): boolean => doc.querySelector('dialog[open]') !== null;

  const run = async (): Promise<void> => {
    if (st.stopped) return;
    if (dialogOpen()) {
      st.again = true; // the dialog's close (below) runs it
      return;
    }
    if (st.running) {
      st.again = true;
      return;
    }
    st.running = true;
    st.again = false;
    try {
      await reload();
    } catch (err) {
      // The view keeps what it showed; the next change (or the user) loads st.again.
      console.error('auscult: live refresh failed', err);
    } finally {
      st.running = false;
    }
    if (wantsAgain()) schedule();
  };
  const schedule = (): void => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void run(), SETTLE_MS);
  };
  // `close` does not bubble: listen in the capture phase for any dialog closing.
  const onDialogClose = (): void => {
    if (st.again && !st.running) schedule();
  };
  doc.addEventListener('close', onDialogClose, true);
  const off = api.on('recordings.changed', (c) => {
    if (!st.stopped && wanted(c)) schedule();
  });
  return {
    stop() {
      st.stopped = true;
      window.clearTimeout(timer);
      doc.removeEventListener('close', onDialogClose, true);
      off();
    },
  };
}

/**
 * Swap a container's content for freshly built content while keeping the window's scroll position
 * and, when focus was on a row, focus on the row for the same recording (rows carry
 * `data-recording-id`), so a reload is not felt as a jump.
 */
export function replaceKeepingPlace(container: HTMLElement, next: Node[]): void {
  const x = window.scrollX;
  const y = window.scrollY;
  const active = document.activeElement;
  const focusedRow =
    active instanceof HTMLElement && container.contains(active)
      ? (active.closest<HTMLElement>('[data-recording-id]')?.dataset['recordingId'] ?? null)
      : null;
  container.replaceChildren(...next);
  if (focusedRow !== null)
    container.querySelector<HTMLElement>(`[data-recording-id="${CSS.escape(focusedRow)}"]`)?.focus({
      preventScroll: true,
    });
  window.scrollTo(x, y);
}

/** Mark a table's body rows with their recordings' ids (the order `rows` were given in). */
export function tagRows(table: HTMLTableElement, ids: readonly number[]): HTMLTableElement {
  const trs = table.tBodies[0]?.rows ?? [];
  for (let i = 0; i < trs.length && i < ids.length; i++) trs[i]!.dataset['recordingId'] = String(ids[i]);
  return table;
}
