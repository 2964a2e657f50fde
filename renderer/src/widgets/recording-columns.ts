/** The columns every recording list shows (history, queue, patient page). */
import type { RecordingSummary } from '../../../src/service/api';
import { h } from '../ui/dom';
import { className, dateTime, pct, siteName, verdictSymbol } from '../ui/format';
import type { Column } from './table';

export function screenCell(r: RecordingSummary): Node | string {
  if (r.pAbnormal === null) return 'not analysed';
  // The screen's own label needs the model card's threshold; the list shows the number, and says uncertain.
  return r.analysisStatus === 'uncertain'
    ? h('span', { class: 'tag tag-uncertain' }, `? uncertain · ${pct(r.pAbnormal)}`)
    : h('span', { class: 'tag' }, pct(r.pAbnormal));
}

export function recordingColumns(withPatient: boolean): Column<RecordingSummary>[] {
  const cols: Column<RecordingSummary>[] = [
    { title: 'Recorded', cell: (r) => dateTime(r.recordedAt) },
    ...(withPatient ? [{ title: 'Patient', cell: (r: RecordingSummary) => `${r.patientName} (${r.patientMrn})` }] : []),
    { title: 'Site', cell: (r) => siteName(r.site) },
    { title: 'p(abnormal)', cell: screenCell },
    {
      title: 'Top class',
      cell: (r) => (r.analysisStatus === 'uncertain' ? `(${className(r.topClass)})` : className(r.topClass)),
    },
    { title: 'Quality', cell: (r) => (r.quality ? `${verdictSymbol(r.quality)} ${r.quality}` : '—') },
    { title: 'Length', cell: (r) => `${r.durationSec.toFixed(1)} s`, className: 'num' },
    { title: 'By', cell: (r) => r.recordedBy },
    { title: 'Signed', cell: (r) => (r.signed ? `✓ ${r.signedBy ?? ''}` : 'no') },
  ];
  return cols;
}
