/**
 * An analysis, led by the healthy-vs-abnormal screen (the output with the most measured
 * signal), then the five-class probabilities as bars and numbers, quality, and the disclaimer.
 * "Uncertain" is shown as such, with its reasons, never dressed up as a finding.
 */
import { DISCLAIMER } from '../../../src/service/api';
import type { AnalysisResult, QualityReport, ScreenResult } from '../../../src/service/api';
import { h } from '../ui/dom';
import { className, pct, qualityText, screenText, verdictSymbol } from '../ui/format';
import { ProbabilityBars } from './charts';

export function screenBadge(screen: ScreenResult): HTMLElement {
  const symbol = screen.label === 'abnormal' ? '▲' : screen.label === 'healthy' ? '●' : '?';
  return h(
    'div',
    { class: `screen screen-${screen.label}`, 'data-testid': 'screen' },
    h('span', { class: 'screen-symbol', 'aria-hidden': 'true' }, symbol),
    h('span', {}, screenText(screen)),
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

export function analysisSummary(a: AnalysisResult, compact = false): { element: HTMLElement; destroy: () => void } {
  if (a.status === 'withheld' || !a.screen || !a.probabilities || !a.topClass) {
    const element = h(
      'section',
      { class: 'analysis', 'aria-label': 'Analysis' },
      h(
        'div',
        { class: 'uncertain', role: 'note' },
        h('strong', {}, 'No result: the analysis was withheld. '),
        a.statusReasons.join('; ') || 'The recording is outside what the models were measured on.',
      ),
      qualityLine(a.quality),
      disclaimer(),
    );
    return { element, destroy: () => undefined };
  }
  const { screen, probabilities, topClass } = a;
  const bars = new ProbabilityBars('Final probabilities of each class', compact ? 280 : 220, compact);
  bars.update(probabilities);
  const element = h(
    'section',
    { class: 'analysis', 'aria-label': 'Analysis' },
    screenBadge(screen),
    a.status === 'uncertain'
      ? h(
          'div',
          { class: 'uncertain', role: 'note' },
          h('strong', {}, 'Uncertain: no class is shown as a finding. '),
          a.statusReasons.join('; ') || 'Confidence is too low.',
        )
      : h(
          'p',
          { class: 'topclass' },
          'Most likely class: ',
          h('strong', {}, className(topClass)),
          ` (${pct(probabilities[topClass])})`,
        ),
    h('h3', {}, 'Class probabilities'),
    bars.element,
    qualityLine(a.quality),
    disclaimer(),
  );
  return { element, destroy: () => bars.destroy() };
}
