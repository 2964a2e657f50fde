/**
 * The two labelled sets train-sounds reads: SPRSound (children; physician event annotations with
 * times, record labels, Poor Quality) and KAUH (adults; one heard sound type per recording, three
 * filter versions of each auscultation). Paths, patients and labels only: audio is read later.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsvRecords } from '../../../common/csv.js';
import { TrainingError } from '../../training/errors.js';

/** Event classes of the four-class event task (SPRSound challenge): Wheeze, Rhonchi, Stridor are CAS. */
export type EventClass = 'normal' | 'crackle' | 'wheeze' | 'both';

export interface AnnotatedEvent {
  cls: EventClass;
  /** The physicians' own label (Wheeze, Rhonchi, Fine Crackle, …): where-it-fails groups. */
  label: string;
  startSec: number;
  endSec: number;
}

export interface SoundRecording {
  path: string;
  /** Name as listed in the index. */
  file: string;
  subset: string;
  patient: string;
  sha256: string;
  /** Physicians judged it unusable (SPRSound 'Poor Quality'). */
  poor: boolean;
  crackle: boolean;
  wheeze: boolean;
  /** Annotated events (SPRSound), empty for KAUH. */
  events: AnnotatedEvent[];
  /** KAUH only: the filter mode and the sound type as in the file name. */
  filter: string | null;
  soundType: string | null;
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

const EVENT_CLASS: Record<string, EventClass> = {
  Normal: 'normal',
  'Fine Crackle': 'crackle',
  'Coarse Crackle': 'crackle',
  Wheeze: 'wheeze',
  Rhonchi: 'wheeze',
  Stridor: 'wheeze',
  'Wheeze+Crackle': 'both',
};

function missing(path: string, what: string): never {
  throw new TrainingError('DATA_MISSING', `${path} is missing: ${what}`);
}

export function loadSprsound(root: string): SoundRecording[] {
  const index = join(root, 'sprsound_index.csv');
  if (!existsSync(index)) missing(index, 'pass --data <the SPRSound folder with sprsound_index.csv and audio/>');
  const rows = parseCsvRecords(readFileSync(index, 'utf8'));
  return rows.map((r, i) => {
    const where = `${index} row ${i + 2}`;
    const file = (r['file'] ?? '').trim();
    // 47 test2023 files have no patient id in their published names: each age/sex group of them is taken
    // as one child (the cautious choice: it can only merge children, never split one)
    const patient =
      (r['patient'] ?? '').trim() ||
      `unidentified-${(r['subset'] ?? '').trim()}-${(r['age_years'] ?? '').trim()}-${(r['sex'] ?? '').trim()}`;
    const label = (r['record_label'] ?? '').trim();
    if (!file || !label) throw new TrainingError('DATA_INVALID', `${where}: needs file and record_label`);
    const path = join(root, 'audio', file);
    const jsonPath = path.replace(/\.flac$/i, '.json');
    if (!existsSync(path)) missing(path, `${where} lists it; restore the file`);
    if (!existsSync(jsonPath)) missing(jsonPath, `the annotation of ${file}`);
    let ann: { record_annotation?: unknown; event_annotation?: unknown };
    try {
      ann = JSON.parse(readFileSync(jsonPath, 'utf8')) as typeof ann;
    } catch (err) {
      throw new TrainingError('DATA_INVALID', `${jsonPath} is not valid JSON (${(err as Error).message})`);
    }
    const events: AnnotatedEvent[] = [];
    for (const e of Array.isArray(ann.event_annotation)
      ? (ann.event_annotation as Array<Record<string, unknown>>)
      : []) {
      const cls = EVENT_CLASS[String(e['type'])];
      const start = Number(e['start']) / 1000;
      const end = Number(e['end']) / 1000;
      if (!cls || !(end > start) || !(start >= 0))
        throw new TrainingError('DATA_INVALID', `${jsonPath}: event ${JSON.stringify(e)} is not a typed interval`);
      events.push({ cls, label: String(e['type']), startSec: start, endSec: end });
    }
    events.sort((a, b) => a.startSec - b.startSec || a.endSec - b.endSec);
    return {
      path,
      file,
      subset: (r['subset'] ?? '').trim(),
      patient,
      sha256: sha256(path),
      poor: label === 'Poor Quality',
      crackle: label.includes('DAS') || events.some((e) => e.cls === 'crackle' || e.cls === 'both'),
      wheeze: label.includes('CAS') || events.some((e) => e.cls === 'wheeze' || e.cls === 'both'),
      events,
      filter: null,
      soundType: null,
    };
  });
}

/** KAUH sound types: tokens of the second file-name field (README: N, E W, I E W, C, Crep, I C, I C E W, I C B, Bronchial). */
export function kauhSounds(soundType: string): { crackle: boolean; wheeze: boolean } {
  const t = soundType.trim().split(/\s+/);
  return { crackle: t.includes('C') || t.includes('Crep'), wheeze: t.includes('W') };
}

export function loadKauh(root: string): SoundRecording[] {
  const index = join(root, 'kauh_index.csv');
  if (!existsSync(index)) missing(index, 'pass --kauh <the KAUH folder with kauh_index.csv and audio/>');
  return parseCsvRecords(readFileSync(index, 'utf8'))
    .filter((r) => !/^(1|true|yes)$/i.test((r['exclude_for_eval'] ?? '').trim()))
    .map((r) => {
      const file = (r['file'] ?? '').trim();
      const path = join(root, 'audio', file);
      if (!existsSync(path)) missing(path, `${index} lists it; restore the file`);
      const soundType = (r['sound_type'] ?? '').trim();
      const s = kauhSounds(soundType);
      return {
        path,
        file,
        subset: 'kauh',
        patient: `kauh-${(r['patient_id'] ?? '').trim()}`,
        sha256: sha256(path),
        poor: false,
        crackle: s.crackle,
        wheeze: s.wheeze,
        events: [],
        filter: (r['filter'] ?? '').trim() || null,
        soundType,
      };
    });
}
