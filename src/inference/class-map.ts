/** YAMNet's AudioSet class map (`index,mid,display_name`, names may be quoted) and top-k. */
import { readFileSync } from 'node:fs';
import type { AudioSetScore } from './analysis-types.js';
import { CsvSyntaxError, parseCsv } from '../common/csv.js';
import { ModelError } from './errors.js';

import { AUDIOSET_CLASSES as AUDIOSET_CLASS_COUNT } from '../features/yamnet-params.js';

/** Display names in index order. Throws ModelError unless it is a 521-class YAMNet map. */
export function parseClassMap(text: string, where = 'the class map'): string[] {
  let rows: string[][];
  try {
    rows = parseCsv(text);
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    throw new ModelError('MODEL_SOURCE_INVALID', `${where} is not readable CSV (${err.message})`);
  }
  const header = rows[0] ?? [];
  if (header[0] !== 'index' || header[2] !== 'display_name') {
    throw new ModelError('MODEL_SOURCE_INVALID', `${where} is not YAMNet's class map (header "${header.join(',')}")`);
  }
  const names: string[] = [];
  for (const row of rows.slice(1)) {
    const [index, , name] = row;
    if (Number(index) !== names.length || name === undefined) {
      throw new ModelError('MODEL_SOURCE_INVALID', `${where}: row "${row.join(',')}" is out of order or malformed`);
    }
    names.push(name);
  }
  if (names.length !== AUDIOSET_CLASS_COUNT) {
    throw new ModelError(
      'MODEL_SOURCE_INVALID',
      `${where} lists ${names.length} classes; YAMNet has ${AUDIOSET_CLASS_COUNT}`,
    );
  }
  return names;
}

export function readClassMap(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ModelError(
      'MODEL_MISSING',
      `YAMNet's class map is missing at ${path}: rebuild the models with \`npx auscult models\``,
    );
  }
  return parseClassMap(text, path);
}

/** The k highest of the column means of count×521 scores. */
export function topClasses(scores: Float32Array, count: number, names: string[], k = 3): AudioSetScore[] {
  const sums = new Float64Array(names.length);
  addScores(sums, scores, count);
  return topClassesOfSums(sums, count, names, k);
}

/** Adds `count` rows of scores (count × sums.length) to per-class sums, row by row (a stream adds batch by batch). */
export function addScores(sums: Float64Array, scores: Float32Array, count: number): void {
  const n = sums.length;
  for (let r = 0; r < count; r++) for (let j = 0; j < n; j++) sums[j]! += scores[r * n + j]!;
}

/** topClasses from per-class sums over `count` patches (addScores'). */
export function topClassesOfSums(sums: Float64Array, count: number, names: string[], k = 3): AudioSetScore[] {
  const n = names.length;
  const mean = Float64Array.from(sums);
  for (let j = 0; j < n; j++) mean[j]! /= Math.max(count, 1);
  return [...mean.keys()]
    .sort((a, b) => mean[b]! - mean[a]!)
    .slice(0, k)
    .map((index) => ({ index, name: names[index]!, score: mean[index]! }));
}

/** Index of the top class in one row of scores. */
export function topIndex(scores: Float32Array, row: number, n = AUDIOSET_CLASS_COUNT): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (scores[row * n + j]! > scores[row * n + best]!) best = j;
  return best;
}
