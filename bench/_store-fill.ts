/**
 * The fill the store benches share (bench/store-site.ts, bench/store-migrate.ts; bench/store.ts
 * takes its names): staff and patients, then recordings as the intake writes them (recording,
 * analysis and audit entry in one transaction, or `batch` per transaction where the figures read
 * the rows, not how they came).
 */
import { CLASS_ORDER } from '../src/common/classes.js';
import type { Store } from '../src/store/index.js';

/** Family names of the benches' patients (bench/store.ts draws from all of them). */
export const FAMILY = [
  'Smith',
  'Müller',
  'García',
  'Nguyen',
  'Kowalski',
  'Haddad',
  'Okafor',
  'Rossi',
  'Johansson',
  'Tanaka',
  'Dubois',
  'Novak',
  'Silva',
  'Cohen',
  'Ivanova',
  'Ahmed',
  'Brown',
  'Lee',
  'Khan',
  'Larsen',
];
/** The site benches' patients take the first ten, as their figures were measured ("ull" finds one in ten). */
const SITE_FAMILIES = 10;

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** User 1 `nurse` (plus `doc`, a pulmonologist, and `admin` when asked), and `nPat` patients MRN1000000…. */
export function seedStaffAndPatients(
  store: Store,
  nPat: number,
  opts: { reviewers?: boolean; familyName?: (i: number) => string } = {},
): void {
  const family = opts.familyName ?? ((i: number) => `${FAMILY[i % SITE_FAMILIES]!}${i}`);
  store.tx(() => {
    store.users.create({ username: 'nurse', displayName: 'N', role: 'nurse', passwordHash: 'x' });
    if (opts.reviewers) {
      store.users.create({ username: 'doc', displayName: 'Dr D', role: 'pulmonologist', passwordHash: 'y' });
      store.users.create({ username: 'admin', displayName: 'A', role: 'admin', passwordHash: 'z' });
    }
    for (let i = 0; i < nPat; i++)
      store.patients.create({ mrn: `MRN${1_000_000 + i}`, givenName: 'Ann', familyName: family(i), createdBy: 1 });
  });
}

/** What differs between the benches' rows; the rest is one fixed recording of the trachea. */
export interface FillRow {
  fileName: string;
  wavSha256: string;
  durationSec: number;
  status: 'recorded' | 'imported';
  /** The intake entry's details (the migrate bench keeps the WAV's hash there). */
  details?: Record<string, unknown>;
}

/** Recording `i` (patient 1 + i mod nPat, a minute after the previous) with its analysis and intake entry; its id. */
export function insertRecording(store: Store, i: number, nPat: number, row: FillRow): number {
  const id = store.recordings.insert(
    {
      patientId: 1 + (i % nPat),
      site: 'trachea',
      deviceName: 'Littmann CORE',
      sampleRate: 4000,
      durationSec: row.durationSec,
      fileName: row.fileName,
      wavSha256: row.wavSha256,
      status: row.status,
      recordedBy: 1,
      recordedAt: new Date(Date.parse('2024-01-01T00:00:00Z') + i * 60_000).toISOString(),
    },
    {
      engineVersion: '2.0.0',
      headName: 'head',
      headVersion: '1',
      probabilities: { asthma: 0.1, copd: 0.5, pneumonia: 0.1, healthy: 0.2, bronchial: 0.1 },
      pAbnormal: 0.8,
      topClass: CLASS_ORDER[i % CLASS_ORDER.length]!,
      status: 'ok',
      quality: 'good',
      resultJson: JSON.stringify({ screen: { label: 'abnormal' } }),
    },
  );
  store.audit.append({
    username: 'nurse',
    action: 'recording.create',
    objectType: 'recording',
    objectId: id,
    transport: 'cli',
    ...(row.details ? { details: row.details } : {}),
  });
  return id;
}

/**
 * Recordings `from`…`to - 1`, `batch` per transaction (1: one each, as the intake commits);
 * `row(i)` names each one's file and hash, `after(id, i)` adds to its transaction.
 */
export function fillRecordings(
  store: Store,
  range: { from: number; to: number; nPat: number; batch: number },
  row: (i: number) => FillRow,
  after?: (id: number, i: number) => void,
): void {
  for (let i = range.from; i < range.to; i += range.batch)
    store.tx(() => {
      for (let k = i; k < Math.min(range.to, i + range.batch); k++) {
        const id = insertRecording(store, k, range.nPat, row(k));
        after?.(id, k);
      }
    });
}
