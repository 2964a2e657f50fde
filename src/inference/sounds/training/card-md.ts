/** The sound detector's card for people (models/sounds.card.md), from the JSON card and the run's times. */
import type { BinaryFigures, SetFigures, SoundsCard } from '../card.js';

type Failures = NonNullable<SoundsCard['evaluation']['failures']>;

export interface RunTimes {
  totalSeconds: number;
  featureSeconds: number;
  cvSeconds: number;
  evalSeconds: number;
  cacheHits: number;
  cacheMisses: number;
}

const f = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(2);
const ci = (i: { value: number | null; lo: number | null; hi: number | null } | null) =>
  i && i.value !== null ? `${f(i.value)} (${f(i.lo)}–${f(i.hi)})` : 'n/a';
const row = (name: string, b: BinaryFigures) =>
  `| ${name} | ${ci(b.auroc)} | ${ci(b.sensitivity)} | ${ci(b.specificity)} | ${ci(b.average)} | ${b.positives} / ${b.negatives} | ${b.patients} |`;

function setTable(s: SetFigures): string[] {
  return [
    '| level | AUROC | sensitivity | specificity | (sens + spec) / 2 | positives / negatives | children |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    `| crackle, step | ${f(s.crackle.stepAuroc)} | | | | | |`,
    row('crackle, event', s.crackle.event),
    row('crackle, recording', s.crackle.recording),
    `| wheeze, step | ${f(s.wheeze.stepAuroc)} | | | | | |`,
    row('wheeze, event', s.wheeze.event),
    row('wheeze, recording', s.wheeze.recording),
    '',
    `Event level, four classes (normal / crackle / wheeze / both, SPRSound-challenge score, ${s.eventFourClass.events} events): sensitivity ${ci(s.eventFourClass.sensitivity)}, specificity ${ci(s.eventFourClass.specificity)}, average **${ci(s.eventFourClass.average)}**. ${s.recordings} recordings of ${s.patients} children.`,
  ];
}

const share = (missed: number, n: number) => (n ? `${Math.round((100 * missed) / n)} %` : 'n/a');

/** "Where it fails": the out-of-fold misses by group, and the groups it misses most, in words. */
function failuresSection(x: Failures): string[] {
  const L: string[] = ['## Where it fails (SPRSound folds)', '', `${x.protocol}.`, ''];
  for (const [type, words] of [
    ['wheeze', 'wheeze (Wheeze, Rhonchi, Stridor, Wheeze+Crackle)'],
    ['crackle', 'crackle (Fine, Coarse, Wheeze+Crackle)'],
  ] as const) {
    const t = x[type];
    L.push(
      `**${words}**: missed ${t.recordings.missed} of ${t.recordings.annotated} recordings with ${type === 'wheeze' ? 'wheezes' : 'crackles'} (${share(t.recordings.missed, t.recordings.annotated)}) and ${t.events.missed} of ${t.events.annotated} annotated events (${share(t.events.missed, t.events.annotated)}).`,
      '',
      `The missed recordings come from ${t.recordings.children} children (up to ${t.recordings.mostFromOneChild} from one child); ${t.recordings.nearThreshold} of them came within 0.10 of the threshold, and ${t.recordings.underOneSecond} hold less than 1 s of annotated ${type === 'wheeze' ? 'wheeze' : 'crackles'} in all.`,
      '',
      '| events grouped by | group | annotated events | missed | missed share |',
      '| --- | --- | --- | --- | --- |',
      ...t.groups.map((g) => `| ${g.by} | ${g.group} | ${g.events} | ${g.missed} | ${share(g.missed, g.events)} |`),
      '',
    );
    // per grouping, the group missed most against the one missed least (groups of ≥ 20 events)
    const by = [...new Set(t.groups.map((g) => g.by))];
    const said = by.flatMap((b) => {
      const gs = t.groups.filter((g) => g.by === b && g.events >= 20);
      if (gs.length < 2) return [];
      const rate = (g: (typeof gs)[number]) => g.missed / g.events;
      const worst = gs.reduce((a, g) => (rate(g) > rate(a) ? g : a));
      const best = gs.reduce((a, g) => (rate(g) < rate(a) ? g : a));
      return [
        `${b}: ${worst.group} missed ${share(worst.missed, worst.events)}, ${best.group} ${share(best.missed, best.events)}`,
      ];
    });
    if (said.length) L.push(`Missed most against least (groups of at least 20 events): ${said.join('; ')}.`, '');
  }
  return L;
}

export function soundsCardMarkdown(c: SoundsCard, t: RunTimes): string {
  const e = c.evaluation;
  const L: string[] = [];
  L.push(`# ${c.name} ${c.version}: crackles and wheezes`, '');
  L.push(`**Decision support, not a diagnosis.** ${c.intendedUse}`, '');
  L.push(
    `Trained by \`${c.training.command}\` (seed ${c.training.seed}) in **${(t.totalSeconds / 60).toFixed(1)} min** on this machine ` +
      `(features ${t.featureSeconds.toFixed(0)} s with ${t.cacheHits} recordings from the cache and ${t.cacheMisses} computed, cross-validation ${t.cvSeconds.toFixed(0)} s, ` +
      `held-out, KAUH and comparisons ${t.evalSeconds.toFixed(0)} s, quality model and writing the rest). The same data and seed give the same ONNX files and JSON card byte for byte; only this line's times differ.`,
    '',
  );
  L.push('## What it does', '');
  L.push(
    `- Input: ${c.input.features} per step, from the head's band-limited (${c.input.bandwidthHz} Hz) 16 kHz path: one step = one YAMNet patch (${c.input.stepSec} s every ${c.input.stepHopSec} s).`,
  );
  L.push(`- Model: ${c.architecture}.`);
  L.push(
    `- Output: ${c.detection.definition}. Thresholds: crackle ${f(c.detection.crackle.threshold)}, wheeze ${f(c.detection.wheeze.threshold)}.`,
  );
  L.push(`- Data: ${c.training.data}. ${c.training.citation}`, '');
  L.push('## SPRSound, patient-grouped cross-validation', '', e.protocol, '', ...setTable(e.crossValidation), '');
  L.push(
    `## SPRSound held-out test sets (${e.heldOut.subsets.join(', ')}; no child of these was in training)`,
    '',
    ...setTable(e.heldOut),
    '',
  );
  if (e.kauh) {
    L.push('## Across datasets: KAUH adults (never trained on)', '', e.kauh.protocol + '.', '');
    L.push(
      '| patient level | AUROC | sensitivity | specificity | (sens + spec) / 2 | positives / negatives | patients |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    L.push(row('crackle', e.kauh.crackle), row('wheeze', e.kauh.wheeze), '');
    L.push(
      'Recording level per filter mode (AUROC): ' +
        e.kauh.perFilter
          .map((p) => `${p.filter}: crackle ${f(p.crackleAuroc)}, wheeze ${f(p.wheezeAuroc)}`)
          .join('; ') +
        '.',
      '',
    );
  }
  L.push('## Baselines and what was tried (same folds, same run)', '');
  L.push(
    '| model | crackle step AUROC | crackle recording AUROC | crackle event (sens+spec)/2 | wheeze step AUROC | wheeze recording AUROC | wheeze event (sens+spec)/2 | four-class event average | KAUH crackle AUROC | KAUH wheeze AUROC |',
  );
  L.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const m of e.comparisons)
    L.push(
      `| ${m.name} | ${f(m.crackle.stepAuroc)} | ${f(m.crackle.recordingAuroc)} | ${f(m.crackle.eventAverage)} | ${f(m.wheeze.stepAuroc)} | ${f(m.wheeze.recordingAuroc)} | ${f(m.wheeze.eventAverage)} | ${f(m.fourClassAverage)} | ${f(m.kauh?.crackleAuroc)} | ${f(m.kauh?.wheezeAuroc)} |`,
    );
  L.push(
    '',
    ...e.comparisons.map((m) => `- **${m.name}**: ${m.note}.`),
    '',
    "SPRSound columns: out-of-fold, thresholds from the other folds. KAUH columns: the mean of each candidate's fold models (none saw KAUH); the shipped model's own KAUH figures are in the section above.",
    '',
    e.choice + '.',
    '',
  );
  const q = c.quality.evaluation;
  L.push('## Learned quality check', '');
  L.push(`${q.protocol}. ${q.recordings} recordings, ${q.poor} Poor Quality, ${q.patients} children.`, '');
  L.push(
    `AUROC **${ci(q.auroc)}**; at the threshold ${f(c.quality.threshold)}: sensitivity ${ci(q.sensitivity)}, specificity ${ci(q.specificity)}.`,
    '',
  );
  for (const m of q.comparisons) L.push(`- ${m.name}: AUROC ${f(m.auroc)} (${m.note})`);
  if (e.failures) L.push('', ...failuresSection(e.failures).slice(0, -1));
  L.push('', '## Limitations', '', ...c.limitations.map((l) => `- ${l}`), '');
  return L.join('\n');
}
