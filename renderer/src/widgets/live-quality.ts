/**
 * The Record view's two live quality lines, as the live gate allows them. While the analysis is
 * withheld (speech, handling noise, not enough chest sound yet) or has not spoken yet, nothing reads
 * as approval: speech has a clean signal, and "✓ Good sound quality" beside it would approve what
 * is not a chest recording. Problems stay shown (fair/poor rules, the learned check's "poor"), since
 * they are reasons to act. As analysis-summary.ts does for a final withheld result.
 */
import type { LiveAnalysis, QualityReport } from '../../../src/service/api';
import { h } from '../ui/dom';
import { pct } from '../ui/format';
import { qualityLine } from './analysis-summary';

/** What the live gate said last: not yet heard from, withheld (with its reasons), or passed. */
export type LiveGate = { state: 'waiting' } | { state: 'withheld'; reasons: string[] } | { state: 'passed' };

export const LIVE_GATE_WAITING: LiveGate = { state: 'waiting' };

export function liveGateOf(l: LiveAnalysis): LiveGate {
  return l.status === 'withheld' ? { state: 'withheld', reasons: l.statusReasons } : { state: 'passed' };
}

/** Why no quality verdict is given, in words ("Quality not judged: this sounds like speech, …"). */
function notJudged(gate: LiveGate): string {
  if (gate.state === 'passed') return '';
  if (gate.state === 'waiting' || !gate.reasons.length)
    return 'Quality not judged yet: waiting for the analysis of the first seconds of sound.';
  // the first reason says why (the live screen lists them all)
  return `Quality not judged: ${gate.reasons[0]}.`;
}

/** The rule-based line (capture.quality): "good" only once the live gate has passed. */
export function liveQualityLine(q: QualityReport | null, gate: LiveGate): HTMLElement {
  if (!q || gate.state === 'passed' || q.verdict !== 'good') return qualityLine(q);
  return h(
    'p',
    { class: 'quality quality-none', 'data-testid': 'quality' },
    h('span', { class: 'q-symbol', 'aria-hidden': 'true' }, '·'),
    ' ',
    notJudged(gate),
  );
}

const WHAT = "Learned quality check, a report only (trained on children's recordings, not measured on adults)";

/**
 * The learned quality check on the newest 3 s, beside the rule-based line. It is a report, never a
 * verdict that withholds or approves (the model card: trained on one hospital's children, and it
 * calls some clean adult KAUH takes poor), so it is set in calm type, says what it was trained on,
 * and "usable" only appears once the live gate has passed.
 */
export function learnedQualityLine(q: LiveAnalysis['learnedQuality'], gate: LiveGate): HTMLElement {
  const line = (cls: string, ...text: string[]): HTMLElement =>
    h('p', { class: `learned-quality ${cls}`, 'data-testid': 'learned-quality' }, ...text);
  if (!q) return line('learned-none', 'Learned quality check: waiting for sound.');
  if (q.poor)
    return line(
      'learned-poor',
      `${WHAT}: the last 3 s resemble recordings physicians marked poor (${pct(q.pPoor)}, poor from ${pct(q.threshold)}). If the breath sounds are clear in your ears, carry on; otherwise press the stethoscope flat on bare skin, hold it still, and ask the patient to stay quiet.`,
    );
  if (gate.state !== 'passed') return line('learned-none', `${WHAT}: not reported while no result can be given.`);
  return line(
    'learned-ok',
    `${WHAT}: the last 3 s do not resemble recordings physicians marked poor (${pct(q.pPoor)} poor, poor from ${pct(q.threshold)}).`,
  );
}
