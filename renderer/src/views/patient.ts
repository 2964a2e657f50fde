/**
 * A patient: details, every recording by date and site, and the trend of the screen probability
 * over time, one line per chest site, with the threshold and uncertainty band; a withheld,
 * earlier-engine or unanalysed take is a gap, never a point. The trend reads the list's summary
 * fields (the one result state), so it opens no recording. On a site database the page follows
 * the other workstations live (ui/live-refresh.ts): it reloads in place when one of this patient's
 * recordings is added or signed anywhere.
 */
import type { RecordingSummary, ResultOf } from '../../../src/service/api';
import { loadModelFacts } from '../ui/model-facts';
import type { AppContext } from '../ui/context';
import { h } from '../ui/dom';
import { liveRefresh, replaceKeepingPlace, tagRows } from '../ui/live-refresh';
import { dateOnly, dateTime, siteName } from '../ui/format';
import { empty, errorState, loading, withLoading } from '../ui/states';
import { disclaimer } from '../widgets/analysis-summary';
import { breakGlassNotice } from '../widgets/break-glass';
import { screenTrend } from '../widgets/charts';
import { recordingColumns } from '../widgets/recording-columns';
import { dataTable } from '../widgets/table';

const TREND_MAX = 40;

type PatientPage = ResultOf<'patients.get'>;

export function patientView(ctx: AppContext, root: HTMLElement, id: number): () => void {
  /** The trend's chart of what is on screen now (a reload destroys it with what it replaces). */
  let chartDisposers: Array<() => void> = [];
  /** Whether the trend is shown (asked for, or opened by itself): a reload shows it again. */
  let trendWanted = false;
  const body = h('div', {});
  root.append(body);

  /** `trendHeight`: the trend's height before a reload, held until the new chart is drawn (no jump). */
  const build = (page: PatientPage, trendHeight = 0): Node[] => {
    const { patient: p, recordings } = page;
    const nodes: Node[] = [
      h(
        'header',
        { class: 'page-head' },
        h('h1', {}, `${p.familyName}, ${p.givenName}`),
        h(
          'p',
          { class: 'meta' },
          `MRN ${p.mrn} · born ${dateOnly(p.birthDate)} · ${p.sex}${p.notes ? ` · ${p.notes}` : ''}`,
        ),
      ),
    ];
    // Break the glass (its own widget): why some recordings are not shown, or the grant's banner.
    const glass = breakGlassNotice(ctx, page, load);
    if (glass) nodes.push(glass);
    if (recordings.length === 0) {
      if (page.hiddenRecordings > 0) return nodes;
      nodes.push(
        empty(
          'No recordings yet',
          ctx.user.role === 'nurse'
            ? 'Record this patient from the Record view.'
            : 'Recordings appear here once a nurse records this patient.',
        ),
      );
      return nodes;
    }
    const disposers: Array<() => void> = [];
    chartDisposers = disposers;
    const trendBox = h('div', { 'data-trend-box': '' });
    if (trendHeight) trendBox.style.minHeight = `${trendHeight}px`;
    const loadTrend = async (): Promise<void> => {
      trendWanted = true;
      trendBox.replaceChildren(loading('the trend'));
      const sorted = [...recordings].sort((a, b) => a.recordedAt.localeCompare(b.recordedAt)).slice(-TREND_MAX);
      try {
        const facts = await loadModelFacts(ctx.api);
        const shown = sorted.filter((r) => r.result === 'ok' || r.result === 'uncertain');
        if (shown.length === 0) {
          trendBox.replaceChildren(
            empty('No results to plot', 'The trend needs recordings with a current result (not withheld).'),
          );
          return;
        }
        const sites = [...new Set(sorted.map((r) => r.site))];
        const series = sites.map((site) => ({
          label: siteName(site),
          points: sorted
            .filter((r) => r.site === site)
            .map((r) => ({
              x: Date.parse(r.recordedAt),
              y: r.result === 'ok' || r.result === 'uncertain' ? r.pAbnormal : null,
            })),
        }));
        const gaps = sorted.length - shown.length;
        const xs = sorted.map((r) => Date.parse(r.recordedAt));
        const span = Math.max(...xs) - Math.min(...xs);
        // Within two days the dates alone would repeat: show the time too.
        const tick =
          span < 2 * 86_400_000
            ? (x: number) => dateTime(new Date(x).toISOString())
            : (x: number) => dateOnly(new Date(x).toISOString());
        const c = screenTrend('The screen probability over time, one line per chest site', series, {
          threshold: facts?.screen.threshold ?? null,
          margin: facts?.screen.margin ?? null,
          xTick: tick,
        });
        disposers.push(() => c.chart.destroy());
        trendBox.replaceChildren(
          c.element,
          h(
            'p',
            { class: 'hint', 'data-testid': 'trend-gaps' },
            gaps
              ? `${gaps} of ${sorted.length} recordings have no current result (withheld, earlier engine or not analysed): gaps in their site's line.`
              : 'Every recording shown has a current result.',
          ),
          disclaimer(),
        );
      } catch (err) {
        trendBox.replaceChildren(errorState('Could not load the trend', err, () => void loadTrend()));
      } finally {
        trendBox.style.minHeight = '';
      }
    };
    trendBox.append(
      h(
        'button',
        { type: 'button', class: 'secondary', onclick: () => void loadTrend() },
        `Show trend of the last ${Math.min(TREND_MAX, recordings.length)} recordings`,
      ),
    );
    const bySite = new Map<string, RecordingSummary[]>();
    for (const r of recordings) bySite.set(r.site, [...(bySite.get(r.site) ?? []), r]);
    nodes.push(
      h('section', { class: 'panel' }, h('h2', {}, 'Trend of the screen, per chest site'), trendBox),
      h(
        'section',
        { class: 'panel' },
        h('h2', {}, `Recordings (${recordings.length}), newest first`),
        h(
          'p',
          { class: 'hint' },
          `Sites: ${[...bySite.keys()].map((s) => `${siteName(s)} ×${bySite.get(s)?.length}`).join(', ')}`,
        ),
        tagRows(
          dataTable('Recordings of this patient', recordingColumns(false), recordings, (r) =>
            ctx.navigate({ view: 'recording', id: r.id }),
          ),
          recordings.map((r) => r.id),
        ),
      ),
    );
    if (recordings.length > 1 || trendWanted) void loadTrend();
    return nodes;
  };
  const disposeChart = (): void => {
    for (const f of chartDisposers.splice(0)) f();
  };

  // Also the break-glass dialog's reload: the page again, with what the grant now shows.
  function load(): void {
    void withLoading(
      body,
      'the patient',
      () => ctx.api.call('patients.get', { id }),
      (page) => {
        disposeChart();
        body.append(...build(page));
      },
    );
  }
  load();
  // Another workstation added or signed one of this patient's recordings: reload in place.
  const live = liveRefresh(
    ctx.api,
    (c) => c.kind === 'missed-changes' || c.patientId === id,
    async () => {
      const page = await ctx.api.call('patients.get', { id });
      const old = chartDisposers;
      const trendHeight = body.querySelector<HTMLElement>('[data-trend-box]')?.offsetHeight ?? 0;
      replaceKeepingPlace(body, build(page, trendWanted ? trendHeight : 0));
      for (const f of old.splice(0)) f();
    },
  );
  return () => {
    live.stop();
    disposeChart();
  };
}
