/**
 * `auscult train-head --data <folder> [--out models/] [--seed N] [--cache <dir>] [--folds K --repeats R]`:
 * embeddings (cached), patient-grouped evaluation beside the baselines, the shipped head and its card.
 */
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { DEFAULTS, trainHead } from '../../inference/training/pipeline.js';
import { TrainingError } from '../../inference/training/errors.js';
import { projectRoot } from '../../inference/paths.js';

const USAGE = `usage: auscult train-head --data <folder> [options]
  --data <folder|manifest.csv>  KAUH layout (kauh_index.csv + audio/) or a CSV manifest file,patient,label[,exclude]
                                (label: asthma, copd, pneumonia, healthy, bronchial or other)
  --out <dir>                   where head.onnx, head.card.json and head.card.md go (default models/)
  --seed <n>                    seed for splits, initialisation, dropout and bootstraps (default ${DEFAULTS.seed})
  --cache <dir>                 embedding cache (default .cache/embeddings)
  --folds <k> --repeats <r>     patient-grouped k-fold, repeated (default ${DEFAULTS.folds} × ${DEFAULTS.repeats})
  --model linear|mlp            the head: logistic regression (default: scored higher under patient-grouped CV)
                                or ARCHITECTURE.md's MLP; the other is evaluated beside it
  --epochs <n>                  MLP epochs (default ${DEFAULTS.epochs})
  --window <s> --hop <s>        scoring window and hop in seconds (default ${DEFAULTS.windowSec} / ${DEFAULTS.hopSec})
  --other auto|exclude|abnormal what "other" patients teach (default auto: measure both, keep the better)
  --patients-per-label <n>      only the first n patients of each label (quick runs)
  --no-naive                    skip the naive file-level split comparison
  --sprsound <folder>           measure the competence gate on SPRSound too (children, another stethoscope)
  --no-non-chest                do not generate the non-chest test inputs (needs espeak-ng and sox)
  --citation <text> --licence <text>  for manifest data (KAUH's are built in)`;

function int(name: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new TrainingError('BAD_OPTION', `--${name} needs an integer, got "${v}"`);
  return n;
}

function num(name: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!(n > 0)) throw new TrainingError('BAD_OPTION', `--${name} needs a positive number, got "${v}"`);
  return n;
}

export const command: CliCommand = {
  name: 'train-head',
  summary: 'train and evaluate the classifier head on labelled recordings; write models/head.onnx + card',
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          data: { type: 'string' },
          out: { type: 'string' },
          seed: { type: 'string' },
          cache: { type: 'string' },
          sprsound: { type: 'string' },
          'no-non-chest': { type: 'boolean', default: false },
          folds: { type: 'string' },
          repeats: { type: 'string' },
          epochs: { type: 'string' },
          window: { type: 'string' },
          hop: { type: 'string' },
          other: { type: 'string' },
          model: { type: 'string' },
          'patients-per-label': { type: 'string' },
          'no-naive': { type: 'boolean' },
          citation: { type: 'string' },
          licence: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      }));
    } catch (err) {
      console.error(`train-head: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
      return 2;
    }
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (!values.data) {
      console.error(`train-head: --data is required\n${USAGE}`);
      return 2;
    }
    try {
      const other = values.other ?? 'auto';
      if (other !== 'auto' && other !== 'exclude' && other !== 'abnormal')
        throw new TrainingError('BAD_OPTION', `--other must be auto, exclude or abnormal (got "${other}")`);
      const model = values.model ?? DEFAULTS.model;
      if (model !== 'linear' && model !== 'mlp')
        throw new TrainingError('BAD_OPTION', `--model must be linear or mlp (got "${model}")`);
      const ppl = values['patients-per-label'];
      const result = await trainHead({
        data: resolve(values.data),
        out: resolve(values.out ?? join(projectRoot(), 'models')),
        seed: int('seed', values.seed, DEFAULTS.seed),
        cacheDir: resolve(values.cache ?? join(projectRoot(), '.cache', 'embeddings')),
        sprsound: values.sprsound ? resolve(values.sprsound) : null,
        nonChest: !values['no-non-chest'],
        folds: int('folds', values.folds, DEFAULTS.folds),
        repeats: int('repeats', values.repeats, DEFAULTS.repeats),
        epochs: int('epochs', values.epochs, DEFAULTS.epochs),
        windowSec: num('window', values.window, DEFAULTS.windowSec),
        hopSec: num('hop', values.hop, DEFAULTS.hopSec),
        otherPolicy: other,
        model,
        patientsPerLabel: ppl === undefined ? undefined : int('patients-per-label', ppl, 0),
        bootstrapRounds: DEFAULTS.bootstrapRounds,
        naive: !values['no-naive'],
        checkBandwidth: true,
        command: ['npx auscult train-head', ...argv].join(' '),
        citation: values.citation,
        licence: values.licence,
        log: (line) => console.error(line),
      });
      const c = result.card.evaluation;
      console.log(
        `five-class (patient-grouped): macro-F1 ${c.fiveClass.macroF1.value} [${c.fiveClass.macroF1.lo}, ${c.fiveClass.macroF1.hi}], ` +
          `balanced accuracy ${c.fiveClass.balancedAccuracy.value} [${c.fiveClass.balancedAccuracy.lo}, ${c.fiveClass.balancedAccuracy.hi}]`,
      );
      console.log(
        `screen: AUROC ${c.screen.auroc.value} [${c.screen.auroc.lo}, ${c.screen.auroc.hi}], sensitivity ${c.screen.sensitivity.value}, specificity ${c.screen.specificity.value}`,
      );
      for (const b of c.baselines)
        console.log(
          `baseline ${b.name}: macro-F1 ${b.macroF1}, balanced accuracy ${b.balancedAccuracy}, screen AUROC ${b.screenAuroc ?? 'n/a'}`,
        );
      console.log(`wrote ${result.onnxPath}\nwrote ${result.cardPath}\nwrote ${result.markdownPath}`);
      console.log(
        `time: ${result.timings.totalSeconds.toFixed(1)} s (embeddings ${result.timings.embedSeconds.toFixed(1)} s, cache ${result.timings.cacheHits} hits / ${result.timings.cacheMisses} computed)`,
      );
      return 0;
    } catch (err) {
      if (err instanceof TrainingError) {
        console.error(`train-head: ${err.message} [${err.code}]`);
        return 1;
      }
      throw err;
    }
  },
};
