/**
 * Review (pulmonologist): unsigned recordings by priority as the service orders them (an abnormal
 * screen first, then uncertain, then the rest; oldest first within each), with flags for takes
 * that need a second look (interrupted, very short) and a filter by screen result. On a site
 * database it follows the other workstations live (ui/live-refresh.ts): the same page reloads in
 * place when a recording is added or signed anywhere.
 */
import type { Page, RecordingSummary, ReviewScreen } from '../../../src/service/api';
import { REVIEW_SCREENS } from '../../../src/service/api';
import { VERY_SHORT_SEC } from '../../../src/common/recording-lengths';
import type { AppContext } from '../ui/context';
import { field, h, options } from '../ui/dom';
import { liveRefresh, replaceKeepingPlace, tagRows } from '../ui/live-refresh';
import { empty, withLoading } from '../ui/states';
import { recordingColumns } from '../widgets/recording-columns';
import { dataTable, pager, type Column } from '../widgets/table';

const LIMIT = 25;

const SCREEN_LABELS: Record<ReviewScreen, string> = {
  abnormal: 'Abnormal screen',
  healthy: 'Healthy screen',
  uncertain: 'Uncertain',
  withheld: 'Withheld',
  none: 'Not analysed',
};

/** Why a take needs a second look, in words (never colour alone). */
export function reviewFlags(r: RecordingSummary): string[] {
  const flags: string[] = [];
  if (r.status === 'interrupted') flags.push('interrupted');
  if (r.durationSec < VERY_SHORT_SEC) flags.push(`very short (${r.durationSec.toFixed(1)} s)`);
  return flags;
}

const flagsColumn: Column<RecordingSummary> = {
  title: 'Flags',
  cell: (r) => {
    const flags = reviewFlags(r);
    return flags.length
      ? h(
          'span',
          { 'data-testid': 'flags' },
          ...flags.map((f) => h('span', { class: 'tag tag-warn', 'data-flag': f.split(' ')[0] ?? f }, `⚠ ${f}`)),
        )
      : '';
  },
};

export function reviewQueueView(ctx: AppContext, root: HTMLElement): () => void {
  const body = h('div', {});
  const screen = h(
    'select',
    { name: 'screen', 'aria-label': 'Screen result' },
    options<'' | ReviewScreen>(
      [{ value: '', label: 'Any' }, ...REVIEW_SCREENS.map((s) => ({ value: s, label: SCREEN_LABELS[s] }))],
      '',
    ),
  );
  root.append(
    h('h1', {}, 'Review queue'),
    h(
      'p',
      { class: 'lead' },
      'Recordings waiting for a finding and sign-off: abnormal screens first, then uncertain ones, then the rest, oldest first within each. Open one to listen, review and sign.',
    ),
    h('div', { class: 'row filters' }, field('Screen result', screen)),
    body,
  );
  /** The page the user is on: a live refresh reloads this one, not the first. */
  let offset = 0;
  /** Bumped by every load the user asks for, so a live reload begun before it is dropped. */
  let generation = 0;
  const fetchPage = (at: number): Promise<Page<RecordingSummary>> => {
    const filter = screen.value ? (screen.value as ReviewScreen) : undefined;
    return ctx.api.call('recordings.reviewQueue', { limit: LIMIT, offset: at, ...(filter ? { screen: filter } : {}) });
  };
  const build = (page: Page<RecordingSummary>): Node[] => {
    const filter = screen.value ? (screen.value as ReviewScreen) : undefined;
    if (page.total === 0)
      return [
        filter
          ? empty(
              `No unsigned recording with “${SCREEN_LABELS[filter]}”`,
              'Choose another screen result, or “Any” to see the whole queue.',
            )
          : empty('Nothing to review', 'Every recording is signed. New recordings appear here as nurses save them.'),
      ];
    const cols = recordingColumns(true);
    cols.splice(4, 0, flagsColumn); // after Screen: what to look at first
    return [
      tagRows(
        dataTable('Unsigned recordings', cols, page.items, (r) => ctx.navigate({ view: 'recording', id: r.id })),
        page.items.map((r) => r.id),
      ),
      pager(page, load),
    ];
  };
  const load = (at: number): void => {
    offset = at;
    generation++;
    void withLoading(
      body,
      'the review queue',
      () => fetchPage(at),
      (page) => body.append(...build(page)),
    );
  };
  screen.addEventListener('change', () => load(0));
  load(0);
  // Another workstation added or signed a recording: reload the same page in place. When signing
  // emptied the last page, step back to the page that now holds the end of the queue.
  const live = liveRefresh(
    ctx.api,
    () => true,
    async () => {
      const gen = generation;
      let page = await fetchPage(offset);
      if (page.items.length === 0 && page.total > 0) {
        offset = Math.max(0, Math.floor((page.total - 1) / LIMIT) * LIMIT);
        page = await fetchPage(offset);
      }
      if (gen !== generation) return;
      replaceKeepingPlace(body, build(page));
    },
  );
  return () => live.stop();
}
