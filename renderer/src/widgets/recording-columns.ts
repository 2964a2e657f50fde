/**
 * The columns every recording list shows (history, queue, patient page). The result column reads
 * the one result state (src/common/result-state.ts): a number only for 'ok' / 'uncertain'; a
 * withheld or earlier-engine analysis shows its word, no number and no colour. Lists show the
 * screen only: the five-class top class would need the model card's per-class reliability beside
 * it (and may be a class the model does not recognise), which the recording page gives.
 */
import type { RecordingSummary } from '../../../src/service/api';
import { RESULT_STATE_LABELS } from '../../../src/common/result-state';
import { h } from '../ui/dom';
import { dateTime, pct, siteName, verdictSymbol } from '../ui/format';
import type { Column } from './table';

export function screenCell(r: RecordingSummary): Node | string {
  switch (r.result) {
    case 'ok':
      return h(
        'span',
        { class: 'tag', 'data-result': 'ok' },
        r.screenLabel === 'abnormal'
          ? `▲ abnormal · ${pct(r.pAbnormal)}`
          : r.screenLabel === 'healthy'
            ? `● healthy · ${pct(r.pAbnormal)}`
            : `p(abn.) ${pct(r.pAbnormal)}`,
      );
    case 'uncertain':
      return h('span', { class: 'tag tag-uncertain', 'data-result': 'uncertain' }, `? uncertain · ${pct(r.pAbnormal)}`);
    case 'withheld':
      return h('span', { class: 'tag tag-plain', 'data-result': 'withheld' }, 'withheld: no result');
    case 'earlier-engine':
      return h('span', { class: 'tag tag-plain', 'data-result': 'earlier-engine' }, 'earlier engine: re-analyse');
    case 'none':
      return h('span', { class: 'tag tag-plain', 'data-result': 'none' }, RESULT_STATE_LABELS.none.toLowerCase());
  }
}

export function recordingColumns(withPatient: boolean): Column<RecordingSummary>[] {
  const cols: Column<RecordingSummary>[] = [
    { title: 'Recorded', cell: (r) => dateTime(r.recordedAt) },
    ...(withPatient ? [{ title: 'Patient', cell: (r: RecordingSummary) => `${r.patientName} (${r.patientMrn})` }] : []),
    { title: 'Site', cell: (r) => siteName(r.site) },
    { title: 'Screen', cell: screenCell },
    { title: 'Quality', cell: (r) => (r.quality ? `${verdictSymbol(r.quality)} ${r.quality}` : '—') },
    { title: 'Length', cell: (r) => `${r.durationSec.toFixed(1)} s`, className: 'num' },
    { title: 'By', cell: (r) => r.recordedBy },
    { title: 'Signed', cell: (r) => (r.signed ? `✓ ${r.signedBy ?? ''}` : 'no') },
  ];
  return cols;
}
