/**
 * A patient: details, every recording by date and site, and a trend of each class probability
 * over time. The trend needs each recording's analysis, so it loads on request (each one is an
 * audited view of that recording).
 */
import type { ClassProbabilities, RecordingSummary } from '../../../src/service/api';
import type { AppContext } from '../ui/context';
import { h } from '../ui/dom';
import { dateOnly, dateTime, siteName } from '../ui/format';
import { empty, errorState, loading, withLoading } from '../ui/states';
import { disclaimer } from '../widgets/analysis-summary';
import { classLines } from '../widgets/charts';
import { recordingColumns } from '../widgets/recording-columns';
import { dataTable } from '../widgets/table';

const TREND_MAX = 40;

export function patientView(ctx: AppContext, root: HTMLElement, id: number): () => void {
  const disposers: Array<() => void> = [];
  const body = h('div', {});
  root.append(body);
  void withLoading(
    body,
    'the patient',
    () => ctx.api.call('patients.get', { id }),
    ({ patient: p, recordings }) => {
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
      if (recordings.length === 0) {
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
          const details = await Promise.all(sorted.map((r) => ctx.api.call('recordings.get', { id: r.id })));
          const points = details
            .filter((d) => d.analysis)
            .map((d) => ({
              x: Date.parse(d.recording.recordedAt),
              p: d.analysis?.probabilities as ClassProbabilities,
            }));
          if (points.length === 0) {
            trendBox.replaceChildren(empty('No analysed recordings', 'The trend needs recordings with an analysis.'));
            return;
          }
          const span = (points.at(-1)?.x ?? 0) - (points[0]?.x ?? 0);
          // Within two days the dates alone would repeat: show the time too.
          const tick =
            span < 2 * 86_400_000
              ? (x: number) => dateTime(new Date(x).toISOString())
              : (x: number) => dateOnly(new Date(x).toISOString());
          const c = classLines('Each class probability over time, one point per recording', points, {
            xTitle: 'date recorded',
            xTick: tick,
            height: 260,
          });
          disposers.push(() => c.chart.destroy());
          trendBox.replaceChildren(c.element, disclaimer());
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
        h('section', { class: 'panel' }, h('h2', {}, 'Trend of class probabilities'), trendBox),
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
    },
  );
  return () => {
    for (const f of disposers.splice(0)) f();
  };
}
