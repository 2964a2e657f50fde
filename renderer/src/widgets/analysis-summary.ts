/**
 * An analysis as its one result state (src/common/result-state.ts) allows:
 * - ok / uncertain: the healthy-vs-abnormal screen is the headline, with its threshold and its
 *   measured sensitivity/specificity beside it; the five-class probabilities are secondary, each
 *   with its measured recall, without the classes the model does not recognise (recall 0), and a
 *   class is never "most likely" against the screen without saying why they differ;
 * - withheld / earlier-engine / none: one sentence and its reasons; no bar, no percentage, no colour.
 * The card's plain-language summary is one click away ("About this model").
 */
import { DISCLAIMER } from '../../../src/service/api';
import type {
  AnalysisResult,
  ClassName,
  ModelFacts,
  QualityReport,
  ResultState,
  ScreenResult,
} from '../../../src/service/api';
import { CLASS_LABELS, CLASS_ORDER } from '../../../src/common/classes';
import { RESULT_STATE_SENTENCES } from '../../../src/common/result-state';
import { h } from '../ui/dom';
import { f2 } from '../ui/model-facts';
import { className, pct, qualityText, verdictSymbol } from '../ui/format';
import { ProbabilityBars } from './charts';
import { aboutModelButton } from './model-summary-dialog';

const SCREEN_WORDS: Record<ScreenResult['label'], string> = {
  abnormal: 'Abnormal chest sounds likely',
  healthy: 'Sounds healthy',
  uncertain: 'Uncertain: too close to call',
};

export function screenBadge(screen: ScreenResult, status: 'ok' | 'uncertain', soFar = false): HTMLElement {
  const label = status === 'uncertain' ? 'uncertain' : screen.label;
  const symbol = label === 'abnormal' ? '▲' : label === 'healthy' ? '●' : '?';
  return h(
    'div',
    { class: `screen screen-${label}`, 'data-testid': 'screen' },
    h('span', { class: 'screen-symbol', 'aria-hidden': 'true' }, symbol),
    h('span', {}, `${soFar ? 'So far: ' : ''}${SCREEN_WORDS[label]}`),
  );
}

/** "p(abnormal) 91 % · threshold 74 % · sensitivity 0.76 (0.64–0.85), specificity …, measured per patient". */
export function screenFigures(screen: ScreenResult, facts: ModelFacts | null): HTMLElement {
  const s = facts?.screen;
  return h(
    'p',
    { class: 'screen-figures', 'data-testid': 'screen-figures' },
    h('strong', {}, `Probability of abnormal chest sounds ${pct(screen.pAbnormal)}`),
    ` · abnormal from ${pct(screen.threshold)}`,
    s ? ` (uncertain within ±${pct(s.margin, 1)})` : '',
    s
      ? h(
          'span',
          { class: 'hint block' },
          `Measured ${s.basis}: sensitivity ${f2(s.sensitivity.value)} (${f2(s.sensitivity.lo)}–${f2(s.sensitivity.hi)}), specificity ${f2(s.specificity.value)} (${f2(s.specificity.lo)}–${f2(s.specificity.hi)}).`,
        )
      : '',
  );
}

export function qualityLine(q: QualityReport | null): HTMLElement {
  return h(
    'p',
    { class: `quality quality-${q?.verdict ?? 'none'}`, 'data-testid': 'quality' },
    h('span', { class: 'q-symbol', 'aria-hidden': 'true' }, verdictSymbol(q?.verdict)),
    ' ',
    qualityText(q),
  );
}

export function disclaimer(): HTMLElement {
  return h('p', { class: 'disclaimer' }, DISCLAIMER);
}

/** The classes shown as possible findings: those the model recognises (all five without facts). */
export function recognisedClasses(facts: ModelFacts | null): ClassName[] {
  return facts ? CLASS_ORDER.filter((c) => facts.classes.find((x) => x.class === c)?.recognised) : [...CLASS_ORDER];
}

/** "This model does not recognise pneumonia or bronchial disease …", or null. */
export function unrecognisedNote(facts: ModelFacts | null): HTMLElement | null {
  const missing = facts?.classes.filter((c) => !c.recognised).map((c) => CLASS_LABELS[c.class].toLowerCase()) ?? [];
  if (!missing.length) return null;
  return h(
    'p',
    { class: 'hint', 'data-testid': 'unrecognised' },
    `This model does not recognise ${missing.join(' or ')}: it never named ${missing.length > 1 ? 'them' : 'it'} correctly when tested, so no probability is shown for ${missing.length > 1 ? 'them' : 'it'}.`,
  );
}

/** A sentence in place of any figure (withheld, earlier engine, none). */
export function noFigures(
  state: 'withheld' | 'earlier-engine' | 'none',
  reasons: string[],
  onReanalyse: (() => void) | null,
): HTMLElement {
  return h(
    'div',
    { class: 'no-result', role: 'note', 'data-testid': 'no-result' },
    h('strong', {}, RESULT_STATE_SENTENCES[state]),
    reasons.length
      ? h(
          'ul',
          {},
          reasons.map((r) => h('li', {}, r)),
        )
      : '',
    state === 'withheld' ? h('p', { class: 'hint' }, 'Record this site again, following the reason above.') : '',
    onReanalyse && state !== 'withheld'
      ? h('button', { type: 'button', 'data-testid': 'reanalyse', onclick: onReanalyse }, 'Re-analyse now')
      : '',
  );
}

/** The top class and the screen point the same way, or the difference is said. */
function topClassLine(a: AnalysisResult, screen: ScreenResult, shown: ClassName[], facts: ModelFacts | null): Node {
  const p = a.probabilities;
  if (!p || a.status === 'uncertain' || screen.label === 'uncertain') return h('span', {});
  const top = shown.reduce<ClassName | null>((best, c) => (best === null || p[c] > p[best] ? c : best), null);
  if (!top) return h('span', {});
  const healthyTop = top === 'healthy';
  const agrees = (screen.label === 'healthy') === healthyTop;
  if (agrees)
    return h(
      'p',
      { class: 'topclass', 'data-testid': 'topclass' },
      'Highest of the five: ',
      h('strong', {}, className(top)),
      ` (${pct(p[top])})`,
    );
  return h(
    'p',
    { class: 'topclass hint', 'data-testid': 'topclass' },
    `The five-class split puts ${className(top)} highest (${pct(p[top])}) while the screen says ${screen.label}. `,
    `They are separate outputs; the screen is the measured, more reliable one${facts ? ` (the five-class split has balanced accuracy ${f2(facts.balancedAccuracy.value)})` : ''}, so read the five classes as weak hints only.`,
  );
}

export interface SummaryOptions {
  compact?: boolean;
  /** A re-analyse action for an earlier engine's or a missing analysis (only for roles allowed). */
  onReanalyse?: (() => void) | null;
}

export function analysisSummary(
  state: ResultState,
  a: AnalysisResult | null,
  facts: ModelFacts | null,
  opts: SummaryOptions = {},
): { element: HTMLElement; destroy: () => void } {
  const about = aboutModelButton(facts);
  if (state === 'withheld' || state === 'earlier-engine' || state === 'none' || !a?.screen || !a.probabilities) {
    const s = state === 'ok' || state === 'uncertain' ? 'earlier-engine' : state;
    const element = h(
      'section',
      { class: 'analysis', 'aria-label': 'Analysis', 'data-result': s },
      noFigures(s, s === 'withheld' ? (a?.statusReasons ?? []) : [], opts.onReanalyse ?? null),
      // "✓ Good sound quality" beside a withheld take reads as approval of what was heard (speech
      // has a good signal): only a quality problem is worth saying here, as a reason to re-record
      a && s === 'withheld' && a.quality.verdict !== 'good' ? qualityLine(a.quality) : '',
      about,
      disclaimer(),
    );
    return { element, destroy: () => undefined };
  }
  const status = a.status === 'uncertain' ? 'uncertain' : 'ok';
  const shown = recognisedClasses(facts);
  const bars = new ProbabilityBars(
    'Five-class probabilities (secondary, weak)',
    Math.max(110, shown.length * (opts.compact ? 52 : 40)),
    opts.compact,
    shown,
  );
  bars.update(a.probabilities);
  const reliability = h(
    'ul',
    { class: 'reliability hint', 'data-testid': 'reliability' },
    shown.map((c) => {
      const r = facts?.classes.find((x) => x.class === c)?.recall;
      return h(
        'li',
        {},
        `${CLASS_LABELS[c]}: recognised in ${r ? `${pct(r.value)} (${pct(r.lo)}–${pct(r.hi)})` : '—'} of tested patients`,
      );
    }),
  );
  const element = h(
    'section',
    { class: 'analysis', 'aria-label': 'Analysis', 'data-result': status },
    screenBadge(a.screen, status),
    screenFigures(a.screen, facts),
    status === 'uncertain'
      ? h(
          'div',
          { class: 'uncertain', role: 'note' },
          h('strong', {}, 'Uncertain: read as neither healthy nor abnormal. '),
          a.statusReasons.join('; ') || 'The screen is too close to its threshold.',
        )
      : a.statusReasons.length
        ? h('p', { class: 'hint' }, a.statusReasons.join('; '))
        : '',
    h(
      'details',
      { class: 'five-class', open: true },
      h(
        'summary',
        {},
        `Five-class probabilities (secondary${facts ? `: balanced accuracy ${f2(facts.balancedAccuracy.value)}, chance 0.20` : ''})`,
      ),
      topClassLine(a, a.screen, shown, facts),
      bars.element,
      reliability,
      unrecognisedNote(facts),
    ),
    qualityLine(a.quality),
    about,
    disclaimer(),
  );
  return { element, destroy: () => bars.destroy() };
}
