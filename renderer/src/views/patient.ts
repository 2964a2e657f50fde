/**
 * A patient: details, every recording by date and site, and the trend of the screen probability
 * over time, one line per chest site, with the threshold and uncertainty band; a withheld,
 * earlier-engine or unanalysed take is a gap, never a point. The trend reads the list's summary
 * fields (the one result state), so it opens no recording.
 */
import type { RecordingSummary, ResultOf } from '../../../src/service/api';
import { loadModelFacts } from '../ui/model-facts';
import type { AppContext } from '../ui/context';
import { h } from '../ui/dom';
import { dateOnly, dateTime, siteName } from '../ui/format';
import { empty, errorState, loading, withLoading } from '../ui/states';
import { disclaimer } from '../widgets/analysis-summary';
import { breakGlassNotice } from '../widgets/break-glass';
import { screenTrend } from '../widgets/charts';
import { recordingColumns } from '../widgets/recording-columns';
import { dataTable } from '../widgets/table';

const TREND_MAX = 40;

export function patientView(ctx: AppContext, root: HTMLElement, id: number): () => void {
  const disposers: Array<() => void> = [];
  const body = h('div', {});
  root.append(body);
  const load = (): void => void withLoading(body, 'the patient', () => ctx.api.call('patients.get', { id }), show);
  const show = (page: ResultOf<'patients.get'>): void => {
    // (An inner block, so that making the page reloadable after break-the-glass did not re-indent it.)
    {
      const { patient: p, recordings } = page;
      body.append(
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
      );
      // Break the glass (its own widget): why some recordings are not shown, or the grant's banner.
      const glass = breakGlassNotice(ctx, page, load);
      if (glass) body.append(glass);
      if (recordings.length === 0) {
        if (page.hiddenRecordings > 0) return;
        body.append(
          empty(
            'No recordings yet',
            ctx.user.role === 'nurse'
              ? 'Record this patient from the Record view.'
              : 'Recordings appear here once a nurse records this patient.',
          ),
        );
        return;
      }
      const trendBox = h('div', {});
      const loadTrend = async (): Promise<void> => {
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
      body.append(
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
          dataTable('Recordings of this patient', recordingColumns(false), recordings, (r) =>
            ctx.navigate({ view: 'recording', id: r.id }),
          ),
        ),
      );
      if (recordings.length > 1) void loadTrend();
    }
  };
  load();
  return () => {
    for (const f of disposers.splice(0)) f();
  };
}
