/**
 * `auscult train-sounds --data <SPRSound> [--kauh <KAUH>] [--out models/] [--cache <dir>] [--seed N]`:
 * the crackle/wheeze detector and the learned quality check, evaluated (SPRSound patient-grouped CV,
 * held-out test sets, KAUH across datasets, baselines) and written with their card. `--misses <file>`:
 * only the shipped feature set's folds, and which annotated recordings they miss.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { TrainingError } from '../../inference/training/errors.js';
import { projectRoot } from '../../inference/paths.js';
import { FEATURE_SETS, type FeatureSet } from '../../inference/sounds/features.js';
import {
  DEFAULT_CANDIDATES,
  SOUNDS_DEFAULTS,
  soundsMisses,
  trainSounds,
} from '../../inference/sounds/training/pipeline.js';
import { SoundsCardSchema } from '../../inference/sounds/card.js';

const USAGE = `usage: auscult train-sounds --data <SPRSound folder> [options]
  --data <folder>             SPRSound (sprsound_index.csv + audio/<subset>/*.flac + *.json)
  --kauh <folder>             KAUH (kauh_index.csv + audio/): the cross-dataset check (never trained on)
  --out <dir>                 where sounds.onnx, quality.onnx, sounds.card.json and .card.md go (default models/)
  --cache <dir>               feature cache (embeddings/ shared with train-head's key scheme; default .cache)
  --seed <n>                  folds, bootstraps (default ${SOUNDS_DEFAULTS.seed})
  --folds <k>                 patient-grouped folds (default ${SOUNDS_DEFAULTS.folds})
  --bootstrap <n>             bootstrap rounds for the intervals (default ${SOUNDS_DEFAULTS.bootstrapRounds})
  --features <a,b,...>        candidate feature sets (default ${DEFAULT_CANDIDATES.join(', ')}; known: ${FEATURE_SETS.join(', ')})
  --patients-per-subset <n>   only the first n children of each subset (quick runs)
  --misses <file>             only the cross-validation of the shipped feature set (the --out card's, or
                              one --features set): the annotated recordings the folds miss, as JSON lines
                              into <file> (file names are data: keep it outside the repository), and the
                              card's "Where it fails" groups on stdout; writes nothing else`;

function int(name: string, v: string | undefined, def: number, min: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new TrainingError('BAD_OPTION', `--${name} needs an integer ≥ ${min}, got "${v}"`);
  return n;
}

/** The feature set a misses run cross-validates: one --features set, else the card's in --out. */
function missesFeatureSet(sets: FeatureSet[] | undefined, out: string): FeatureSet {
  if (sets) {
    if (sets.length !== 1)
      throw new TrainingError(
        'BAD_OPTION',
        `--misses cross-validates one feature set; got --features ${sets.join(',')}`,
      );
    return sets[0]!;
  }
  const path = join(out, 'sounds.card.json');
  if (!existsSync(path))
    throw new TrainingError('BAD_OPTION', `--misses needs ${path} (the shipped card) or one --features set`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    json = null;
  }
  const card = SoundsCardSchema.safeParse(json);
  if (!card.success) throw new TrainingError('BAD_OPTION', `${path} is not a sounds card; pass one --features set`);
  return card.data.input.features;
}

export const command: CliCommand = {
  name: 'train-sounds',
  summary: 'train and evaluate the crackle/wheeze detector and quality check; write models/sounds.* + card',
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          data: { type: 'string' },
          kauh: { type: 'string' },
          out: { type: 'string' },
          cache: { type: 'string' },
          seed: { type: 'string' },
          folds: { type: 'string' },
          bootstrap: { type: 'string' },
          features: { type: 'string' },
          'patients-per-subset': { type: 'string' },
          misses: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      }));
    } catch (err) {
      console.error(`train-sounds: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
      return 2;
    }
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (!values.data) {
      console.error(`train-sounds: --data is required\n${USAGE}`);
      return 2;
    }
    try {
      let featureSets: FeatureSet[] | undefined;
      if (values.features) {
        featureSets = values.features.split(',').map((s) => s.trim()) as FeatureSet[];
        const bad = featureSets.find((s) => !(FEATURE_SETS as readonly string[]).includes(s));
        if (bad)
          throw new TrainingError('BAD_OPTION', `--features: unknown set "${bad}" (known: ${FEATURE_SETS.join(', ')})`);
      }
      const pps = values['patients-per-subset'];
      const out = resolve(values.out ?? join(projectRoot(), 'models'));
      if (values.misses !== undefined) {
        const set = missesFeatureSet(featureSets, out);
        const m = await soundsMisses({
          data: resolve(values.data),
          out,
          cacheDir: resolve(values.cache ?? join(projectRoot(), '.cache')),
          seed: int('seed', values.seed, SOUNDS_DEFAULTS.seed, 0),
          folds: int('folds', values.folds, SOUNDS_DEFAULTS.folds, 2),
          bootstrapRounds: 0,
          patientsPerSubset: pps === undefined ? undefined : int('patients-per-subset', pps, 0, 1),
          command: ['npx auscult train-sounds', ...argv].join(' '),
          log: (l) => console.error(l),
          misses: values.misses,
          featureSet: set,
        });
        console.log(
          JSON.stringify({ featureSet: m.featureSet, recordingAuroc: m.recordingAuroc, failures: m.failures }, null, 2),
        );
        console.log(`wrote ${m.missesPath} (data: keep it out of the repository)\ntime: ${m.seconds.toFixed(1)} s`);
        return 0;
      }
      const r = await trainSounds({
        data: resolve(values.data),
        kauh: values.kauh ? resolve(values.kauh) : undefined,
        out,
        cacheDir: resolve(values.cache ?? join(projectRoot(), '.cache')),
        seed: int('seed', values.seed, SOUNDS_DEFAULTS.seed, 0),
        folds: int('folds', values.folds, SOUNDS_DEFAULTS.folds, 2),
        bootstrapRounds: int('bootstrap', values.bootstrap, SOUNDS_DEFAULTS.bootstrapRounds, 0),
        featureSets,
        patientsPerSubset: pps === undefined ? undefined : int('patients-per-subset', pps, 0, 1),
        command: ['npx auscult train-sounds', ...argv].join(' '),
        log: (l) => console.error(l),
      });
      const e = r.card.evaluation;
      const a = (x: { value: number | null; lo: number | null; hi: number | null } | null) =>
        x && x.value !== null ? `${x.value} [${x.lo}, ${x.hi}]` : 'n/a';
      console.log(
        `SPRSound CV recording AUROC: crackle ${a(e.crossValidation.crackle.recording.auroc)}, wheeze ${a(e.crossValidation.wheeze.recording.auroc)}`,
      );
      console.log(`SPRSound CV event four-class average: ${a(e.crossValidation.eventFourClass.average)}`);
      console.log(
        `held-out recording AUROC: crackle ${a(e.heldOut.crackle.recording.auroc)}, wheeze ${a(e.heldOut.wheeze.recording.auroc)}`,
      );
      if (e.kauh)
        console.log(`KAUH patient AUROC: crackle ${a(e.kauh.crackle.auroc)}, wheeze ${a(e.kauh.wheeze.auroc)}`);
      console.log(`quality AUROC: ${a(r.card.quality.evaluation.auroc)}`);
      console.log(`wrote ${r.onnxPath}\nwrote ${r.qualityOnnxPath}\nwrote ${r.cardPath}\nwrote ${r.markdownPath}`);
      console.log(`time: ${r.seconds.toFixed(1)} s`);
      return 0;
    } catch (err) {
      if (err instanceof TrainingError) {
        console.error(`train-sounds: ${err.message} [${err.code}]`);
        return 1;
      }
      throw err;
    }
  },
};
