/**
 * Patient-grouped, label-stratified, repeated k-fold. A "group" is a set of patients linked by
 * identical audio (dataset.ts): every file of every patient of a group lands on the same side.
 */
import { TrainingError } from './errors.js';
import { Rng } from './rng.js';

export interface Fold {
  repeat: number;
  fold: number;
  train: Set<string>;
  test: Set<string>;
}

/**
 * `patients`: patient -> label (any string: train-head's classes, train-sounds' strata); `groupOf`: patient -> group id. Groups are stratified by the
 * most common label among their patients, dealt round-robin (rarest label first) after a seeded
 * shuffle, so every fold gets its share of each label and folds differ in size by at most one group.
 */
export function groupedStratifiedKFold(
  patients: Map<string, string>,
  groupOf: Map<string, string>,
  k: number,
  repeats: number,
  seed: number,
): Fold[] {
  if (!Number.isInteger(k) || k < 2) throw new TrainingError('BAD_OPTION', `--folds must be an integer ≥ 2 (got ${k})`);
  if (!Number.isInteger(repeats) || repeats < 1)
    throw new TrainingError('BAD_OPTION', `--repeats must be an integer ≥ 1 (got ${repeats})`);
  const members = new Map<string, string[]>();
  for (const p of [...patients.keys()].sort()) {
    const g = groupOf.get(p) ?? p;
    members.set(g, [...(members.get(g) ?? []), p]);
  }
  if (members.size < k)
    throw new TrainingError(
      'TOO_FEW_PATIENTS',
      `${members.size} patient groups cannot fill ${k} folds; use --folds ${Math.max(2, members.size)} or add data`,
    );
  const strata = new Map<string, string[]>();
  for (const [g, ps] of members) {
    const counts = new Map<string, number>();
    for (const p of ps) counts.set(patients.get(p)!, (counts.get(patients.get(p)!) ?? 0) + 1);
    const label = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
    strata.set(label, [...(strata.get(label) ?? []), g]);
  }
  const order = [...strata.entries()].sort((a, b) => a[1].length - b[1].length || a[0].localeCompare(b[0]));
  const rng = new Rng(seed);
  const folds: Fold[] = [];
  for (let r = 0; r < repeats; r++) {
    const assigned: string[][] = Array.from({ length: k }, () => []);
    let next = rng.int(k);
    for (const [, groups] of order) {
      for (const g of rng.shuffle([...groups])) {
        assigned[next]!.push(...members.get(g)!);
        next = (next + 1) % k;
      }
    }
    const all = [...patients.keys()];
    for (let f = 0; f < k; f++) {
      const test = new Set(assigned[f]);
      folds.push({ repeat: r, fold: f, test, train: new Set(all.filter((p) => !test.has(p))) });
    }
  }
  return folds;
}

/** Naive file-level k-fold (ignores patients): only to show how much a leaky split inflates results. */
export function naiveFileKFold(fileCount: number, k: number, seed: number): Array<{ train: number[]; test: number[] }> {
  const idx = new Rng(seed).shuffle([...Array(fileCount).keys()]);
  return Array.from({ length: k }, (_, f) => ({
    test: idx.filter((_, i) => i % k === f),
    train: idx.filter((_, i) => i % k !== f),
  }));
}
