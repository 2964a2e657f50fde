/**
 * Labelled recordings for train-head: the KAUH layout (kauh_index.csv + audio/) or a plain CSV
 * manifest `file,patient,label` (optional `exclude`). Patients who share a byte-identical file
 * are linked into one group, so a split can never put the same audio on both sides (in KAUH this
 * links 76&77 and 100&101).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { CLASS_ORDER, type ClassName } from '../analysis-types.js';
import { parseCsvRecords } from '../../common/csv.js';
import { TrainingError } from './errors.js';

export type TrainLabel = ClassName | 'other';
export const TRAIN_LABELS: readonly TrainLabel[] = [...CLASS_ORDER, 'other'];

export interface LabelledFile {
  /** Absolute path of the audio file. */
  path: string;
  /** Name as listed (for reports). */
  file: string;
  patient: string;
  label: TrainLabel;
  /** KAUH stethoscope filter (bell/diaphragm/extended), else null. */
  filter: string | null;
  sha256: string;
  /** Excluded from training and evaluation (e.g. a mislabelled copy), with the reason. */
  excluded: boolean;
  excludeReason: string;
}

export interface Dataset {
  kind: 'kauh' | 'manifest';
  root: string;
  files: LabelledFile[];
  /** patient -> group id (patients sharing identical audio share a group). */
  groupOf: Map<string, string>;
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function normalizeLabel(raw: string, where: string): TrainLabel {
  const l = raw.trim().toLowerCase();
  if ((TRAIN_LABELS as readonly string[]).includes(l)) return l as TrainLabel;
  throw new TrainingError(
    'DATA_INVALID',
    `${where}: label "${raw}" is not one of ${TRAIN_LABELS.join(', ')}; fix the manifest`,
  );
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|y)$/i.test(v.trim());
}

/** Union-find over patients linked by any identical file. */
function linkGroups(files: LabelledFile[]): Map<string, string> {
  const parent = new Map<string, string>();
  const find = (p: string): string => {
    let r = p;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(p, r);
    return r;
  };
  for (const f of files) if (!parent.has(f.patient)) parent.set(f.patient, f.patient);
  const byHash = new Map<string, string>();
  for (const f of files) {
    const other = byHash.get(f.sha256);
    if (other === undefined) byHash.set(f.sha256, f.patient);
    else {
      const [a, b] = [find(other), find(f.patient)];
      // the smaller id names the group, so group ids do not depend on file order
      if (a !== b) {
        if (a < b) parent.set(b, a);
        else parent.set(a, b);
      }
    }
  }
  const out = new Map<string, string>();
  for (const p of parent.keys()) out.set(p, find(p));
  return out;
}

function checkAudio(path: string, where: string): void {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new TrainingError('DATA_MISSING', `${where}: audio file ${path} is missing; restore it or remove its row`);
  }
}

function loadKauh(root: string): Dataset {
  const index = join(root, 'kauh_index.csv');
  const rows = parseCsvRecords(readFileSync(index, 'utf8'));
  const files: LabelledFile[] = rows.map((r, i) => {
    const where = `${index} row ${i + 2}`;
    const file = r['file'] ?? '';
    const patient = (r['patient_id'] ?? '').trim();
    if (!file || !patient) throw new TrainingError('DATA_INVALID', `${where}: needs file and patient_id`);
    const path = join(root, 'audio', file);
    checkAudio(path, where);
    const excluded = truthy(r['exclude_for_eval']);
    return {
      path,
      file,
      patient,
      label: normalizeLabel(r['class5'] ?? '', where),
      filter: r['filter']?.trim() || null,
      sha256: sha256File(path),
      excluded,
      excludeReason: excluded ? (r['flag'] ?? 'excluded in the index').trim() : '',
    };
  });
  return { kind: 'kauh', root, files, groupOf: linkGroups(files) };
}

function loadManifest(manifest: string): Dataset {
  const root = resolve(manifest, '..');
  const rows = parseCsvRecords(readFileSync(manifest, 'utf8'));
  const files: LabelledFile[] = rows.map((r, i) => {
    const where = `${manifest} row ${i + 2}`;
    const file = (r['file'] ?? '').trim();
    const patient = (r['patient'] ?? '').trim();
    if (!file || !patient || r['label'] === undefined) {
      throw new TrainingError('DATA_INVALID', `${where}: a manifest needs the columns file,patient,label`);
    }
    const path = isAbsolute(file) ? file : join(root, file);
    checkAudio(path, where);
    const excluded = truthy(r['exclude']);
    return {
      path,
      file,
      patient,
      label: normalizeLabel(r['label'], where),
      filter: null,
      sha256: sha256File(path),
      excluded,
      excludeReason: excluded ? 'excluded in the manifest' : '',
    };
  });
  return { kind: 'manifest', root, files, groupOf: linkGroups(files) };
}

/**
 * Read a labelled folder: `<dir>/kauh_index.csv` (KAUH), `<dir>/manifest.csv`, or a path to a
 * manifest CSV itself.
 */
export function loadDataset(location: string): Dataset {
  const at = resolve(location);
  if (!existsSync(at))
    throw new TrainingError(
      'DATA_MISSING',
      `no training data at ${at}: pass --data <folder with kauh_index.csv or manifest.csv>`,
    );
  let ds: Dataset;
  if (statSync(at).isFile()) ds = loadManifest(at);
  else if (existsSync(join(at, 'kauh_index.csv'))) ds = loadKauh(at);
  else if (existsSync(join(at, 'manifest.csv'))) ds = loadManifest(join(at, 'manifest.csv'));
  else
    throw new TrainingError(
      'DATA_MISSING',
      `${at} holds neither kauh_index.csv nor manifest.csv (columns file,patient,label)`,
    );
  if (ds.files.length === 0) throw new TrainingError('DATA_INVALID', `${at}: the index lists no recordings`);
  return ds;
}

/** Files that take part in training and evaluation. */
export function eligibleFiles(ds: Dataset): LabelledFile[] {
  return ds.files.filter((f) => !f.excluded);
}

/** One label per patient (a patient's files must agree). */
export function patientLabels(files: LabelledFile[]): Map<string, TrainLabel> {
  const out = new Map<string, TrainLabel>();
  for (const f of files) {
    const prev = out.get(f.patient);
    if (prev !== undefined && prev !== f.label) {
      throw new TrainingError(
        'DATA_INVALID',
        `patient ${f.patient} has files labelled ${prev} and ${f.label}; one patient, one label`,
      );
    }
    out.set(f.patient, f.label);
  }
  return out;
}
