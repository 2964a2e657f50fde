/**
 * Window-level training rows from per-file window embeddings, with the targets and weights the
 * head learns from.
 *
 * Targets: a five-class file gets its one-hot class. An "other" file (heart failure, fibrosis,
 * effusion, mixed: not one of the five) is left out under policy 'exclude', or under policy
 * 'abnormal' gets probability 1/4 on each of the four disease classes and 0 on healthy: "not
 * healthy, not one of the four": it pushes the screen towards abnormal while teaching a flat,
 * low-confidence five-class answer.
 *
 * Weights: every label present gets the same total weight, split equally between its patients
 * and then between each patient's windows, so a long recording or a common class does not
 * dominate (scaled to mean 1).
 */
import { CLASS_ORDER } from '../analysis-types.js';
import type { LabelledFile, TrainLabel } from './dataset.js';
import { INPUT_DIMS } from './mlp.js';

export type OtherPolicy = 'exclude' | 'abnormal';

export interface FileWindows {
  file: LabelledFile;
  /** Window means (count × 1024), as scoring.ts windowMeans cuts them. */
  windows: Float32Array;
  count: number;
}

export interface TrainRows {
  x: Float32Array;
  y: Float32Array;
  w: Float32Array;
  n: number;
  patients: Record<string, number>;
}

const K = CLASS_ORDER.length;

export function targetFor(label: TrainLabel, policy: OtherPolicy): Float32Array | null {
  const t = new Float32Array(K);
  if (label === 'other') {
    if (policy === 'exclude') return null;
    CLASS_ORDER.forEach((c, i) => (t[i] = c === 'healthy' ? 0 : 1 / (K - 1)));
    return t;
  }
  t[CLASS_ORDER.indexOf(label)] = 1;
  return t;
}

/** Rows from the files `include` accepts (a patient set for grouped folds, file indices for the naive split). */
export function buildTrainRows(
  files: FileWindows[],
  include: (f: FileWindows, index: number) => boolean,
  policy: OtherPolicy,
): TrainRows {
  const used = files.filter((f, i) => include(f, i) && targetFor(f.file.label, policy) !== null);
  const windowsOfPatient = new Map<string, number>();
  const patientsOfLabel = new Map<TrainLabel, Set<string>>();
  for (const f of used) {
    windowsOfPatient.set(f.file.patient, (windowsOfPatient.get(f.file.patient) ?? 0) + f.count);
    patientsOfLabel.set(f.file.label, (patientsOfLabel.get(f.file.label) ?? new Set()).add(f.file.patient));
  }
  const n = used.reduce((a, f) => a + f.count, 0);
  const x = new Float32Array(n * INPUT_DIMS);
  const y = new Float32Array(n * K);
  const w = new Float32Array(n);
  const labels = patientsOfLabel.size;
  let row = 0;
  for (const f of used) {
    const target = targetFor(f.file.label, policy)!;
    const weight = n / (labels * patientsOfLabel.get(f.file.label)!.size * windowsOfPatient.get(f.file.patient)!);
    x.set(f.windows.subarray(0, f.count * INPUT_DIMS), row * INPUT_DIMS);
    for (let i = 0; i < f.count; i++) {
      y.set(target, (row + i) * K);
      w[row + i] = weight;
    }
    row += f.count;
  }
  const counts: Record<string, number> = {};
  for (const [label, ps] of patientsOfLabel) counts[label] = ps.size;
  return { x, y, w, n, patients: counts };
}
