/**
 * Site mode: the line that tells the nurse recordings are saved on this workstation and waiting
 * to upload to the site database (store and forward), and how many were refused (an administrator
 * looks at those). Hidden on a single workstation and when nothing waits. `refresh()` re-reads
 * system.status; the view calls it after every save and on a timer while something waits.
 */
import type { ApiClient } from '../../../src/service/api';
import { h } from '../ui/dom';

/** The outbox details the intake puts on its answer for a recording kept here (see recording-intake.ts). */
export function isWaitingToUpload(err: unknown): boolean {
  const d = (err as { details?: unknown } | null)?.details;
  return typeof d === 'object' && d !== null && (d as { waitingToUpload?: unknown }).waitingToUpload === true;
}

export function uploadStatusLine(
  api: ApiClient,
  /** Called when nothing waits any more (after something did): `refusedMeanwhile` if some were refused. */
  onDrained?: (refusedMeanwhile: boolean) => void,
): { el: HTMLElement; refresh(): Promise<void>; dispose(): void } {
  let last = { waiting: 0, refused: 0 };
  const el = h('p', { class: 'upload-status', role: 'status', hidden: true, 'data-testid': 'upload-status' });
  let timer: ReturnType<typeof setInterval> | null = null;
  const refresh = async (): Promise<void> => {
    let outbox: { waiting: number; refused: number } | null;
    try {
      outbox = (await api.call('system.status', {})).detail?.outbox ?? null;
    } catch {
      return; // the line keeps what it last said
    }
    const waiting = outbox?.waiting ?? 0;
    const refused = outbox?.refused ?? 0;
    const parts: string[] = [];
    if (waiting)
      parts.push(
        waiting === 1
          ? '1 recording is saved on this workstation, waiting to upload to the site database. It uploads by itself when the site is back.'
          : `${waiting} recordings are saved on this workstation, waiting to upload to the site database. They upload by themselves, in order, when the site is back.`,
      );
    if (refused)
      parts.push(
        `${refused === 1 ? '1 saved recording was' : `${refused} saved recordings were`} not uploaded because the file changed on this workstation: tell an administrator.`,
      );
    if (last.waiting > 0 && waiting === 0) onDrained?.(refused > last.refused);
    last = { waiting, refused };
    el.textContent = parts.join(' ');
    el.hidden = parts.length === 0;
    if (waiting && !timer) timer = setInterval(() => void refresh(), 5000);
    if (!waiting && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
  void refresh();
  return {
    el,
    refresh,
    dispose: () => {
      if (timer) clearInterval(timer);
    },
  };
}
