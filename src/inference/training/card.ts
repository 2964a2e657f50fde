/** The head's model card: JSON for the program (ModelCardSchema) and Markdown for people. */
import { CLASS_LABELS, CLASS_ORDER } from '../analysis-types.js';
import type { ModelCard } from '../model-card.js';
import type { z } from 'zod';
import type { GateRatesSchema } from '../model-card.js';

export type GateRates = z.infer<typeof GateRatesSchema>;
import type { Dataset, LabelledFile } from './dataset.js';
import type { Summary } from './evaluate.js';
import type { Interval } from './metrics.js';
import { DROPOUT, HIDDEN } from './mlp.js';
import type { OtherPolicy } from './windows.js';

export interface EvaluationReport {
  main: Summary;
  policy: OtherPolicy;
  policyReason: string;
  alternatives: Array<{ policy: OtherPolicy; summary: Summary }>;
  model: 'linear' | 'mlp';
  comparison: { name: string; note: string; summary: Summary };
  majority: { macroF1: number; balancedAccuracy: number };
  naive: { macroF1: number; balancedAccuracy: number; screenAuroc: number | null; models: number } | null;
  folds: number;
  repeats: number;
  cvModels: number;
  cvSeconds: number;
  bandwidthCheck?: { recordings: number; maxAbsDiff: number; meanAbsDiff: number; sameTopClass: number };
}

export const REFERENCE = {
  source: 'the design Auscult started from (YAMNet embeddings + the same MLP, 3-second recordings)',
  accuracy: 0.864,
  f1: { copd: 0.94, asthma: 0.84, pneumonia: 0.83, healthy: 0.81, bronchial: 0.82 },
  note: 'Published without saying how recordings were split; with three filter versions of each auscultation, a split that is not by patient puts the same sound on both sides. Not comparable with the patient-grouped figures.',
};

export const INTENDED_USE =
  'Decision support for clinicians during lung auscultation: a healthy-vs-abnormal screen and five-class probabilities (asthma, COPD, pneumonia, healthy, bronchial disease) shown with their measured reliability. ' +
  'Not a diagnosis, not for use without a clinician, not validated for children or for devices and settings other than the training data.';

export interface CardInputs {
  report: EvaluationReport;
  onnxFile: string;
  onnxSha256: string;
  bandwidthHz: number;
  sampleRates: number[];
  windowSec: number;
  hopSec: number;
  trainedPatients: Record<string, number>;
  windows: number;
  dataset: Dataset;
  files: LabelledFile[];
  excluded: LabelledFile[];
  command: string;
  seed: number;
  epochs: number;
  engineVersion: string;
  yamnetSourceSha256: string;
  yamnetSha256: string;
  citation: string;
  licence: string;
  /** The gate file beside the card and its measured rates. */
  gate: { file: string; sha256: string; rates: GateRates };
  dataSha256: string;
  /** Ages of the training patients (years), for the limitations. */
  ages: { min: number; max: number } | null;
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const iv = (i: { value: number; lo: number; hi: number }) => ({ value: r3(i.value), lo: r3(i.lo), hi: r3(i.hi) });
const scr = (f: {
  recordings: number;
  patients: number;
  auroc: Interval;
  sensitivity: Interval;
  specificity: Interval;
}) => ({
  recordings: f.recordings,
  patients: f.patients,
  auroc: iv(f.auroc),
  sensitivity: iv(f.sensitivity),
  specificity: iv(f.specificity),
});

export function buildCard(c: CardInputs): ModelCard {
  const m = c.report.main;
  const patients = new Set(c.files.map((f) => f.patient)).size;
  const protocol =
    `Patient-grouped, label-stratified ${c.report.folds}-fold cross-validation repeated ${c.report.repeats}× (seed ${c.seed}): every window and every recording of a patient ` +
    `(KAUH: all three filter versions) on one side; patients sharing byte-identical audio (KAUH 76&77, 100&101) kept together; ${c.excluded.length} flagged files excluded. ` +
    `A recording is scored as the engine scores it (mean over ${c.windowSec} s windows of softmax(logits/T)); a patient's prediction is the mean over their recordings. ` +
    `Metrics per repeat, averaged; 95 % intervals: percentile bootstrap over patients (resampled within class, 1000 rounds). Screen sensitivity/specificity at a threshold chosen on the other folds (Youden). ` +
    `${patients} patients, ${c.files.length} recordings.`;
  const baselines: ModelCard['evaluation']['baselines'] = [
    {
      name: 'majority class',
      macroF1: r3(c.report.majority.macroF1),
      balancedAccuracy: r3(c.report.majority.balancedAccuracy),
      screenAuroc: 0.5,
      note: "each fold predicts its training set's commonest class; same folds",
    },
    {
      name: c.report.comparison.name,
      macroF1: r3(c.report.comparison.summary.macroF1.value),
      balancedAccuracy: r3(c.report.comparison.summary.balancedAccuracy.value),
      screenAuroc: r3(c.report.comparison.summary.screen.auroc.value),
      note: c.report.comparison.note,
    },
  ];
  if (c.report.naive) {
    baselines.push({
      name: `same ${c.report.model === 'mlp' ? 'MLP' : 'logistic head'}, naive file-level random split`,
      macroF1: r3(c.report.naive.macroF1),
      balancedAccuracy: r3(c.report.naive.balancedAccuracy),
      screenAuroc: c.report.naive.screenAuroc === null ? null : r3(c.report.naive.screenAuroc),
      note:
        `recording-level figures with recordings (not patients) split at random, so the other filter versions of a test recording are in training. ` +
        `The patient-grouped head scores ${r3(m.recordingLevel.macroF1)} macro-F1 / ${r3(m.recordingLevel.balancedAccuracy)} balanced accuracy at the same recording level: the difference is what the leaky split adds.`,
    });
  }
  const otherNote = m.other
    ? `"Other" patients (heart failure, fibrosis, effusion, mixed; ${m.other.patients}): ${c.report.policyReason}`
    : '"Other" patients: none in the data.';
  const rs = m.recordingScreen;
  const pc = (x: number) => `${Math.round(x * 100)} %`;
  const notRecognised = m.perClass.filter((p) => p.recall.value === 0).map((p) => CLASS_LABELS[p.class]);
  const g = c.gate.rates;
  const clinicianSummary =
    `What it does: listens to a chest recording and says whether it sounds abnormal (the screen), with a secondary guess at asthma, COPD, pneumonia, healthy or bronchial disease. It is decision support, not a diagnosis. ` +
    `How good one recording's answer is: out of every 100 abnormal recordings it flags about ${Math.round(rs.all.sensitivity.value * 100)}, and of every 100 healthy ones it clears about ${Math.round(rs.all.specificity.value * 100)} (sensitivity ${pc(rs.all.sensitivity.value)}, specificity ${pc(rs.all.specificity.value)}, measured on recordings of patients it had not seen). ` +
    `Within ${Math.round(rs.band.margin * 100)} points of its threshold it says "uncertain" (${pc(rs.band.uncertainShare)} of recordings), because there it was right no more often than a coin. ` +
    (notRecognised.length
      ? `It does not recognise ${notRecognised.join(' or ')}: never read its output as ruling them in or out. `
      : '') +
    `It refuses what it was not trained on: speech, music, hums and tones, noise, no contact, and takes shorter than 3 s get no answer (withheld)${g.generated ? `, as all ${g.generated.of} generated test inputs did` : ''}; ` +
    `it withheld ${pc(g.trainingOutOfFold.recordings.rate)} of real adult chest recordings it had not seen` +
    (g.otherPopulation ? ` and ${pc(g.otherPopulation.recordings.rate)} of ${g.otherPopulation.name}` : '') +
    `. Trained on ${patients} adults${c.ages ? ` aged ${c.ages.min}–${c.ages.max}` : ''} at one hospital with one stethoscope.`;
  return {
    schema: 'auscult.head-card/2',
    gate: { file: c.gate.file, sha256: c.gate.sha256 },
    name: 'auscult-head-kauh',
    version: '2.0.0',
    // reproducible: the same data and seed give the same bytes, so no clock time
    createdAt: `from data ${c.dataSha256.slice(0, 16)}… and seed ${c.seed}`,
    classes: [...CLASS_ORDER],
    architecture:
      c.report.model === 'linear'
        ? "standardise(1024) → Dense 5 (multinomial logistic regression, logits; softmax with the card's temperature), L2 1e-2, full-batch Adam (training.epochs = optimiser steps), class- and patient-balanced weights. " +
          'Chosen over the MLP of ARCHITECTURE.md because the MLP scored lower under patient-grouped cross-validation (see baselines). TensorFlow.js (WebAssembly backend).'
        : `standardise(1024) → Dense ${HIDDEN[0]} ReLU → Dropout ${DROPOUT[0]} → BatchNorm → Dense ${HIDDEN[1]} ReLU → Dropout ${DROPOUT[1]} → BatchNorm → ` +
          `Dense ${HIDDEN[2]} ReLU → Dropout ${DROPOUT[2]} → Dense 5 (logits; softmax with the card's temperature). TensorFlow.js (WebAssembly backend), Adam, class- and patient-balanced weights, L2.`,
    onnxFile: c.onnxFile,
    onnxSha256: c.onnxSha256,
    input: { embedding: 'yamnet-1024', bandwidthHz: c.bandwidthHz, windowSec: c.windowSec, hopSec: c.hopSec },
    calibration: { temperature: r3(m.temperature), method: m.calibrationMethod },
    abstain: {
      minTopProbability: m.abstain.minTopProbability,
      screenMargin: m.abstain.screenMargin,
      poorQualityIsUncertain: true,
    },
    screen: {
      definition:
        'pAbnormal = 1 − p(healthy), from the calibrated recording-level probabilities; abnormal when pAbnormal ≥ threshold (Youden point of the cross-validated patients)',
      threshold: r3(m.screen.threshold),
    },
    training: {
      data:
        c.dataset.kind === 'kauh'
          ? `KAUH lung sounds: ${c.files.length} recordings of ${patients} patients (4 kHz stethoscope, bell/diaphragm/extended filter versions of each recording), ` +
            `sample rates ${c.sampleRates.join(', ')} Hz; ${c.excluded.length} flagged files excluded (${c.excluded.map((f) => f.file).join('; ')}). ` +
            `Changes to the data: none to the files; in memory resampled to 16 kHz and cut into ${c.windowSec} s windows.`
          : `manifest ${c.dataset.root}: ${c.files.length} recordings of ${patients} patients, sample rates ${c.sampleRates.join(', ')} Hz`,
      citation: c.citation,
      licence: c.licence,
      patients: c.trainedPatients,
      windows: c.windows,
      command: c.command,
      seed: c.seed,
      engineVersion: c.engineVersion,
      yamnetSourceSha256: c.yamnetSourceSha256,
      epochs: c.epochs,
      dataSha256: c.dataSha256,
    },
    evaluation: {
      protocol,
      fiveClass: {
        perClass: m.perClass.map((p) => ({
          class: p.class,
          patients: p.patients,
          precision: iv(p.precision),
          recall: iv(p.recall),
          f1: iv(p.f1),
          auroc: p.auroc === null ? null : r3(p.auroc),
          recognised: p.recall.value > 0,
        })),
        macroF1: iv(m.macroF1),
        balancedAccuracy: iv(m.balancedAccuracy),
        confusion: m.confusion,
        ece: r3(m.ece),
        reliability: m.reliability.map((b) => ({
          lo: r3(b.lo),
          hi: r3(b.hi),
          count: b.count,
          meanConfidence: r3(b.meanConfidence),
          accuracy: r3(b.accuracy),
        })),
      },
      screen: {
        auroc: iv(m.screen.auroc),
        sensitivity: iv(m.screen.sensitivity),
        specificity: iv(m.screen.specificity),
        patients: m.screen.patients,
      },
      recordingScreen: {
        protocol:
          "Each out-of-fold recording scored alone (mean of its probabilities over the repeats), at the shipped threshold; 95 % intervals: bootstrap over patients (a patient's recordings together, 1000 rounds). The threshold itself was chosen on the same out-of-fold patients (Youden), so these figures are slightly optimistic.",
        threshold: r3(m.screen.threshold),
        all: scr(rs.all),
        perFilter: rs.perFilter.map((f) => ({ filter: f.filter, ...scr(f) })),
        band: {
          margin: rs.band.margin,
          uncertainShare: r3(rs.band.uncertainShare),
          accuracyInside: rs.band.accuracyInside === null ? null : r3(rs.band.accuracyInside),
          accuracyOutside: r3(rs.band.accuracyOutside),
          rule: rs.band.rule,
        },
      },
      gate: g,
      baselines,
      reference: REFERENCE,
    },
    clinicianSummary,
    intendedUse: INTENDED_USE,
    limitations: [
      ...(notRecognised.length
        ? [
            `${notRecognised.join(' and ')} ${notRecognised.length > 1 ? 'are' : 'is'} never recognised: out-of-fold recall 0 (${m.perClass
              .filter((p) => p.recall.value === 0)
              .map((p) => `${p.patients} ${CLASS_LABELS[p.class].toLowerCase()} patients`)
              .join(
                ', ',
              )}). The product does not present ${notRecognised.length > 1 ? 'them' : 'it'} as a possible finding.`,
          ]
        : []),
      `Non-chest input is refused by the competence gate (speech, music, tones and hum, noise, no contact, less than 3 s of usable sound): ${g.generated ? `${g.generated.withheld} of ${g.generated.of} generated non-chest inputs were withheld` : 'the generated inputs were not measured in this run'}; out of fold it withheld ${g.trainingOutOfFold.recordings.withheld} of ${g.trainingOutOfFold.recordings.of} real KAUH recordings (95 % upper bound ${pc(g.trainingOutOfFold.recordings.hi)}).`,
      g.otherPopulation
        ? `Children and other stethoscopes: on ${g.otherPopulation.name} the gate withheld ${g.otherPopulation.recordings.withheld} of ${g.otherPopulation.recordings.of} recordings (${pc(g.otherPopulation.recordings.rate)}). ${g.otherPopulation.note}`
        : 'Not measured on another population (no SPRSound folder given).',
      `Trained on adults${c.ages ? ` aged ${c.ages.min}–${c.ages.max} years` : ''}: not validated for children.`,
      `Small data: ${Object.entries(c.trainedPatients)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')} patients. Minority-class figures rest on a handful of patients; read them with their intervals.`,
      `Five-class balanced accuracy ${r3(m.balancedAccuracy.value)} (95 % CI ${r3(m.balancedAccuracy.lo)}–${r3(m.balancedAccuracy.hi)}); the healthy-vs-abnormal screen (AUROC ${r3(m.screen.auroc.value)}) is the more reliable output.`,
      `A class is shown as a finding only when its probability reaches ${m.abstain.minTopProbability} (out-of-fold recordings above it were right ${(m.abstain.accuracyAbove * 100).toFixed(0)} % of the time, ${(m.abstain.coverage * 100).toFixed(0)} % of recordings). The screen is "uncertain" within ${m.abstain.screenMargin} of its threshold: ${pc(rs.band.uncertainShare)} of out-of-fold recordings, right ${rs.band.accuracyInside === null ? 'n/a' : pc(rs.band.accuracyInside)} of the time inside the band and ${pc(rs.band.accuracyOutside)} outside it. ${g.fairQuality}`,
      otherNote,
      `Trained on one hospital's recordings through one stethoscope model at 4 kHz: the head sees audio band-limited to ${c.bandwidthHz} Hz whatever the device's rate; other devices, sites and populations are untested.`,
      `Embeddings come from an int8-weight YAMNet TFLite build (source SHA-256 ${c.yamnetSourceSha256.slice(0, 16)}…): about 5 % different from Google's float model, so a head trained on another build must not be mixed with this one.`,
      "Labels are the recording hospital's diagnoses per patient, not per sound; one auscultation site per patient.",
    ],
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const ivs = (i: { value: number; lo: number; hi: number }): string =>
  `${i.value.toFixed(2)} (${i.lo.toFixed(2)}–${i.hi.toFixed(2)})`;

export function cardMarkdown(card: ModelCard, report: EvaluationReport): string {
  const m = report.main;
  const e = card.evaluation;
  const lines: string[] = [];
  lines.push(`# Model card: ${card.name} ${card.version}`, '');
  if (card.clinicianSummary) lines.push('## For clinicians', '', card.clinicianSummary, '');
  lines.push(`> ${card.intendedUse}`, '');
  const rs = e.recordingScreen;
  if (rs) {
    lines.push('## One analysis of one recording (what a result on screen means)', '');
    lines.push(rs.protocol, '');
    lines.push(
      '| recordings | patients | screen AUROC | sensitivity | specificity |',
      '| --- | --- | --- | --- | --- |',
    );
    lines.push(
      `| **all ${rs.all.recordings}** | ${rs.all.patients} | ${ivs(rs.all.auroc)} | ${ivs(rs.all.sensitivity)} | ${ivs(rs.all.specificity)} |`,
    );
    for (const f of rs.perFilter)
      lines.push(
        `| ${f.filter} (${f.recordings}) | ${f.patients} | ${ivs(f.auroc)} | ${ivs(f.sensitivity)} | ${ivs(f.specificity)} |`,
      );
    lines.push('');
    lines.push(
      `Threshold ${rs.threshold} (pAbnormal ≥ threshold is "abnormal"). Uncertain band ±${rs.band.margin}: ${rs.band.rule}. ` +
        `It costs ${pct(rs.band.uncertainShare)} of recordings (shown as "uncertain"); inside it the screen was right ${rs.band.accuracyInside === null ? 'n/a' : pct(rs.band.accuracyInside)}, outside ${pct(rs.band.accuracyOutside)}.`,
      '',
    );
    lines.push('| band ± | recordings uncertain | right inside | right outside |', '| --- | --- | --- | --- |');
    for (const r of report.main.recordingScreen.band.table)
      lines.push(
        `| ${r.margin.toFixed(3)} | ${pct(r.uncertainShare)} | ${r.accuracyInside === null ? 'n/a' : pct(r.accuracyInside)} | ${pct(r.accuracyOutside)} |`,
      );
    lines.push('');
  }
  const g = e.gate;
  if (g) {
    lines.push('## The competence gate (when the model says nothing)', '');
    lines.push(
      `Checks, in order, per 0.96 s patch: ${g.checks.join('; ')}; then quality and length for the recording. Gate file \`${card.gate?.file ?? ''}\` (SHA-256 \`${card.gate?.sha256 ?? ''}\`).`,
      '',
    );
    const rate = (r: { withheld: number; of: number; rate: number; lo: number; hi: number }) =>
      `${r.withheld} of ${r.of} (${pct(r.rate)}; 95 % CI ${pct(r.lo)}–${pct(r.hi)})`;
    lines.push(
      `- **Real KAUH recordings withheld, out of fold: ${rate(g.trainingOutOfFold.recordings)}**. ${g.trainingOutOfFold.protocol}`,
    );
    lines.push(
      `- Patches left out (out of fold): ${
        Object.entries(g.trainingOutOfFold.patchesExcluded)
          .map(([k, v]) => `${k} ${pct(v)}`)
          .join(', ') || 'none'
      }`,
    );
    if (g.otherPopulation) {
      lines.push(
        `- **${g.otherPopulation.name}: withheld ${rate(g.otherPopulation.recordings)}**. ${g.otherPopulation.note}`,
      );
      lines.push(
        `  First reasons: ${
          Object.entries(g.otherPopulation.reasons)
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => `"${k}" ${v}`)
            .join('; ') || 'none'
        }`,
      );
    }
    if (g.generated) {
      lines.push(`- **Generated non-chest inputs withheld: ${g.generated.withheld} of ${g.generated.of}**`, '');
      lines.push('| input | withheld | reasons |', '| --- | --- | --- |');
      for (const i of g.generated.inputs)
        lines.push(`| ${i.name} | ${i.withheld ? 'yes' : '**no**'} | ${i.reasons.join('; ')} |`);
    }
    lines.push('', `- Fair quality: ${g.fairQuality}`, '');
  }
  lines.push('## What it is', '');
  lines.push(`- Classes (ONNX output order, also in the ONNX metadata \`classes\`): ${card.classes.join(', ')}`);
  lines.push(`- Architecture: ${card.architecture}`);
  lines.push(
    `- Input: YAMNet 1024-D embeddings of audio band-limited to **${card.input.bandwidthHz} Hz**; a recording is cut into ${card.input.windowSec} s windows every ${card.input.hopSec} s; each window's mean patch embedding goes through the head; the recording's probabilities are the mean of its windows' probabilities.`,
  );
  lines.push(`- Calibration: temperature ${card.calibration.temperature} (${card.calibration.method})`);
  lines.push(`- Files: \`${card.onnxFile}\` (SHA-256 \`${card.onnxSha256}\`), created ${card.createdAt}`);
  lines.push('');
  lines.push('## Training data', '');
  lines.push(`- ${card.training.data}`);
  lines.push(`- Citation: ${card.training.citation}`, `- Licence: ${card.training.licence}`);
  lines.push(
    `- Shipped head trained on: ${Object.entries(card.training.patients)
      .map(([k, v]) => `${k} ${v}`)
      .join(
        ', ',
      )} patients, ${card.training.windows} windows, ${card.training.epochs} epochs, seed ${card.training.seed}`,
  );
  lines.push(`- Command: \`${card.training.command}\``);
  lines.push(`- Engine ${card.training.engineVersion}; YAMNet source SHA-256 \`${card.training.yamnetSourceSha256}\``);
  lines.push('');
  lines.push('## How well it works (patient-grouped cross-validation)', '');
  lines.push(e.protocol, '');
  lines.push(
    '| class | patients | precision | recall | F1 | AUROC (one-vs-rest) | reference F1 |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const p of e.fiveClass.perClass) {
    lines.push(
      `| ${CLASS_LABELS[p.class]}${p.recognised === false ? ' (not recognised)' : ''} | ${p.patients} | ${ivs(p.precision)} | ${ivs(p.recall)} | ${ivs(p.f1)} | ${p.auroc?.toFixed(2) ?? 'n/a'} | ${e.reference.f1[p.class]?.toFixed(2) ?? ''} |`,
    );
  }
  lines.push('');
  lines.push(
    `- **Macro-F1 ${ivs(e.fiveClass.macroF1)}**, **balanced accuracy ${ivs(e.fiveClass.balancedAccuracy)}**, accuracy ${m.accuracy.toFixed(2)} (reference: accuracy ${e.reference.accuracy}, split unknown)`,
  );
  lines.push(
    `- Recording level (one analysis, not a patient): macro-F1 ${m.recordingLevel.macroF1.toFixed(2)}, balanced accuracy ${m.recordingLevel.balancedAccuracy.toFixed(2)}, screen AUROC ${m.recordingLevel.screenAuroc?.toFixed(2) ?? 'n/a'} (${m.recordingLevel.recordings} recordings)`,
  );
  lines.push('');
  lines.push('### Healthy-vs-abnormal screen', '');
  lines.push(`- ${card.screen.definition}; threshold ${card.screen.threshold}`);
  lines.push(
    `- AUROC ${ivs(e.screen.auroc)}; sensitivity ${ivs(e.screen.sensitivity)}, specificity ${ivs(e.screen.specificity)} (${e.screen.patients.abnormal} abnormal, ${e.screen.patients.healthy} healthy patients)`,
  );
  if (m.screen.aurocWithOther !== null)
    lines.push(`- Counting the "other" patients as abnormal too: AUROC ${m.screen.aurocWithOther.toFixed(2)}`);
  lines.push('');
  lines.push('### Confusion matrix (patients; rows true, columns predicted; mean over repeats)', '');
  lines.push(
    `| true \\ predicted | ${card.classes.join(' | ')} |`,
    `| --- |${card.classes.map(() => ' --- |').join('')}`,
  );
  e.fiveClass.confusion.forEach((row, i) => lines.push(`| ${card.classes[i]} | ${row.join(' | ')} |`));
  lines.push('');
  lines.push(
    `### Calibration (recordings): ECE ${e.fiveClass.ece.toFixed(3)} (uncalibrated ${m.eceUncalibrated.toFixed(3)})`,
    '',
  );
  lines.push('| confidence | recordings | mean confidence | accuracy |', '| --- | --- | --- | --- |');
  for (const b of e.fiveClass.reliability)
    if (b.count > 0)
      lines.push(
        `| ${b.lo.toFixed(1)}–${b.hi.toFixed(1)} | ${b.count} | ${b.meanConfidence.toFixed(2)} | ${b.accuracy.toFixed(2)} |`,
      );
  lines.push('');
  lines.push('### Against baselines and the reference', '');
  lines.push('| model | macro-F1 | balanced accuracy | screen AUROC | note |', '| --- | --- | --- | --- | --- |');
  lines.push(
    `| **this head (${report.model === 'mlp' ? 'MLP' : 'logistic'}), patient-grouped** | ${e.fiveClass.macroF1.value.toFixed(2)} | ${e.fiveClass.balancedAccuracy.value.toFixed(2)} | ${e.screen.auroc.value.toFixed(2)} | patients |`,
  );
  for (const b of e.baselines)
    lines.push(
      `| ${b.name} | ${b.macroF1.toFixed(2)} | ${b.balancedAccuracy.toFixed(2)} | ${b.screenAuroc?.toFixed(2) ?? 'n/a'} | ${b.note} |`,
    );
  lines.push(
    `| reference (${e.reference.source}) | ${(Object.values(e.reference.f1).reduce((a, b) => a + b, 0) / 5).toFixed(2)} | n/a | n/a | accuracy ${e.reference.accuracy}; ${e.reference.note} |`,
  );
  for (const alt of report.alternatives) {
    lines.push(
      `| same head with "other" ${alt.policy === 'abnormal' ? 'trained as abnormal' : 'left out'} | ${alt.summary.macroF1.value.toFixed(2)} | ${alt.summary.balancedAccuracy.value.toFixed(2)} | ${alt.summary.screen.auroc.value.toFixed(2)} | the policy not chosen |`,
    );
  }
  lines.push('');
  lines.push('### When the product says "uncertain"', '');
  lines.push(
    `- A class is a finding only when its probability ≥ ${card.abstain.minTopProbability}: out-of-fold recordings above it were right ${pct(m.abstain.accuracyAbove)} of the time and made up ${pct(m.abstain.coverage)} of recordings (target ≥ 60 %; 1 means the five-class answer is never shown as a finding).`,
  );
  lines.push(
    `- The screen is "uncertain" when |pAbnormal − ${card.screen.threshold}| < ${card.abstain.screenMargin}: outside that band out-of-fold recordings were screened right ${pct(m.abstain.screenAccuracyOutside)} of the time (${pct(m.abstain.screenCoverage)} of recordings); the band is ${m.recordingScreen.band.rule} (table above).`,
  );
  lines.push(
    `- Poor signal quality withholds the result (the competence gate); see the gate section for fair quality.`,
  );
  if (m.other) {
    lines.push(`- "Other" patients: ${report.policyReason}.`);
    lines.push(
      `  With the shipped policy, their recordings were flagged uncertain ${pct(m.other.flaggedUncertain)} of the time (five-class recordings: ${pct(m.other.fiveClassFlaggedUncertain)}), screened abnormal ${pct(m.other.screenedAbnormal)}; AUROC of (1 − top probability) for "other" vs the five classes ${m.other.uncertaintyAuroc?.toFixed(2) ?? 'n/a'}.`,
    );
  }
  lines.push('');
  lines.push('## Limitations', '');
  for (const l of card.limitations) lines.push(`- ${l}`);
  lines.push('');
  // no run times here: the card must come out byte-identical for the same data and seed (the run prints them)
  return lines.join('\n');
}
