/** The model card: what the head is, what it learned from, how well it measured, and what it is not. */
import { CLASS_LABELS } from '../../../src/common/classes';
import type { ModelInfo } from '../../../src/service/api';
import type { AppContext } from '../ui/context';
import { h } from '../ui/dom';
import { dateOnly, pct } from '../ui/format';
import { empty, withLoading } from '../ui/states';

type Interval = { value: number; lo: number; hi: number };
const iv = (i: Interval): string => `${pct(i.value)} (${pct(i.lo)}–${pct(i.hi)})`;

export function modelCardView(ctx: AppContext, root: HTMLElement): undefined {
  const body = h('div', {});
  root.append(body);
  void withLoading(
    body,
    'the model card',
    () => ctx.api.call('model.info', {}),
    (info: ModelInfo) => {
      body.append(
        h('h1', {}, 'Model card'),
        h('p', { class: 'disclaimer big', 'data-testid': 'model-disclaimer' }, info.disclaimer),
      );
      if (info.error)
        body.append(
          h(
            'div',
            { class: 'state state-error', role: 'alert' },
            h('strong', {}, '⚠ The analysis model is not available'),
            h('p', {}, info.error),
          ),
        );
      const c = info.card;
      if (!c) {
        body.append(
          empty(
            'No model card',
            'No classifier head is installed. An administrator runs `npx auscult models` (and `auscult train-head`) on this workstation.',
          ),
        );
        return;
      }
      const ev = c.evaluation;
      const classes = c.classes;
      body.append(
        h(
          'section',
          { class: 'panel' },
          h('h2', {}, `${c.name} ${c.version}`),
          h(
            'dl',
            { class: 'facts' },
            h('dt', {}, 'What it is'),
            h('dd', {}, c.architecture),
            h('dt', {}, 'Intended use'),
            h('dd', {}, c.intendedUse),
            h('dt', {}, 'Input'),
            h(
              'dd',
              {},
              `YAMNet embeddings of audio band-limited to ${c.input.bandwidthHz} Hz; windows of ${c.input.windowSec} s every ${c.input.hopSec} s`,
            ),
            h('dt', {}, 'Healthy vs abnormal screen'),
            h('dd', {}, `${c.screen.definition} (threshold ${pct(c.screen.threshold)})`),
            h('dt', {}, 'Says “uncertain” when'),
            h(
              'dd',
              {},
              `top probability below ${pct(c.abstain.minTopProbability)}, screen within ${pct(c.abstain.screenMargin)} of its threshold${c.abstain.poorQualityIsUncertain ? ', or sound quality is poor' : ''}`,
            ),
            h('dt', {}, 'Created'),
            h('dd', {}, `${dateOnly(c.createdAt)} · engine ${info.engineVersion}`),
          ),
        ),
        h(
          'section',
          { class: 'panel' },
          h('h2', {}, 'Healthy vs abnormal screen (measured)'),
          h(
            'p',
            {},
            `AUROC ${iv(ev.screen.auroc)} · sensitivity ${iv(ev.screen.sensitivity)} · specificity ${iv(ev.screen.specificity)} — on ${ev.screen.patients.healthy} healthy and ${ev.screen.patients.abnormal} abnormal patients.`,
          ),
          h('p', { class: 'hint' }, ev.protocol),
        ),
        h(
          'section',
          { class: 'panel' },
          h('h2', {}, 'Five classes (measured, 95 % intervals over patients)'),
          h(
            'table',
            { class: 'data', 'data-testid': 'per-class' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Class', 'Patients', 'Precision', 'Recall', 'F1', 'AUROC'].map((t) => h('th', { scope: 'col' }, t)),
              ),
            ),
            h(
              'tbody',
              {},
              ev.fiveClass.perClass.map((m) =>
                h(
                  'tr',
                  {},
                  h('td', {}, CLASS_LABELS[m.class]),
                  h('td', { class: 'num' }, String(m.patients)),
                  h('td', {}, iv(m.precision)),
                  h('td', {}, iv(m.recall)),
                  h('td', {}, iv(m.f1)),
                  h('td', {}, m.auroc === null ? '—' : m.auroc.toFixed(2)),
                ),
              ),
            ),
          ),
          h(
            'p',
            {},
            `Macro F1 ${iv(ev.fiveClass.macroF1)} · balanced accuracy ${iv(ev.fiveClass.balancedAccuracy)} · calibration error (ECE) ${ev.fiveClass.ece.toFixed(3)}`,
          ),
          h('h3', {}, 'Confusion matrix (patients; rows = true class, columns = predicted)'),
          h(
            'table',
            { class: 'data confusion', 'data-testid': 'confusion' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'true ↓  predicted →'),
                classes.map((k) => h('th', { scope: 'col' }, CLASS_LABELS[k])),
              ),
            ),
            h(
              'tbody',
              {},
              ev.fiveClass.confusion.map((row, i) =>
                h(
                  'tr',
                  {},
                  h('th', { scope: 'row' }, CLASS_LABELS[classes[i] ?? 'healthy']),
                  row.map((n, j) => h('td', { class: `num${i === j ? ' diag' : ''}` }, String(n))),
                ),
              ),
            ),
          ),
        ),
        h(
          'section',
          { class: 'panel' },
          h('h2', {}, 'Compared with'),
          ev.baselines.length === 0
            ? h('p', { class: 'hint' }, 'No baselines were measured for this head.')
            : h(
                'ul',
                {},
                ev.baselines.map((b) =>
                  h(
                    'li',
                    {},
                    `${b.name}: macro F1 ${pct(b.macroF1)}, balanced accuracy ${pct(b.balancedAccuracy)}${b.screenAuroc === null ? '' : `, screen AUROC ${b.screenAuroc.toFixed(2)}`} — ${b.note}`,
                  ),
                ),
              ),
          h(
            'p',
            {},
            `Reference design (${ev.reference.source}): accuracy ${pct(ev.reference.accuracy)} as published. ${ev.reference.note}`,
          ),
        ),
        h(
          'section',
          { class: 'panel' },
          h('h2', {}, 'Training data'),
          h('p', {}, c.training.data),
          h(
            'p',
            { class: 'hint' },
            [c.training.citation, `licence: ${c.training.licence}`].filter(Boolean).join(' · '),
          ),
          h(
            'p',
            {},
            `Patients per class: ${Object.entries(c.training.patients)
              .map(([k, n]) => `${k} ${n}`)
              .join(', ')} · ${c.training.windows} windows · ${c.training.epochs} epochs · seed ${c.training.seed}`,
          ),
        ),
        h(
          'section',
          { class: 'panel' },
          h('h2', {}, 'Limitations'),
          h(
            'ul',
            {},
            c.limitations.map((l) => h('li', {}, l)),
          ),
        ),
      );
    },
  );
}
