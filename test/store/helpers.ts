/** Shared fixtures for store tests: a fresh database file in a temp folder, and sample rows. */
import { join } from 'node:path';
import { Store, type NewAnalysis, type OpenOptions } from '../../src/store/index.js';
import { scratchDir } from '../support/paths.js';

export function tempDb(opts: OpenOptions = {}): { store: Store; path: string; dir: string } {
  const dir = scratchDir('auscult-store-');
  const path = join(dir, 'auscult.sqlite');
  return { store: Store.open(path, opts), path, dir };
}

export function seedUser(store: Store, username = 'nina', role = 'nurse'): number {
  return store.tx(() => store.users.create({ username, displayName: username, role, passwordHash: 'x' }).id);
}

export function seedPatient(
  store: Store,
  mrn: string,
  given: string,
  family: string,
  createdBy: number | null = null,
): number {
  return store.tx(() => store.patients.create({ mrn, givenName: given, familyName: family, createdBy }).id);
}

let fileCounter = 0;
export function seedRecording(
  store: Store,
  patientId: number,
  userId: number,
  recordedAt = new Date().toISOString(),
): number {
  return store.tx(() =>
    store.recordings.insert({
      patientId,
      site: 'trachea',
      deviceName: 'test',
      sampleRate: 4000,
      durationSec: 3,
      fileName: `f${++fileCounter}-${Math.random()}.wav`,
      wavSha256: 'a'.repeat(64),
      status: 'recorded',
      recordedBy: userId,
      recordedAt,
    }),
  );
}

export function sampleAnalysis(topClass = 'copd'): NewAnalysis {
  return {
    engineVersion: '1.0.0',
    headName: 'head',
    headVersion: '1',
    probabilities: { asthma: 0.1, copd: 0.6, pneumonia: 0.1, healthy: 0.1, bronchial: 0.1 },
    pAbnormal: 0.9,
    topClass,
    status: 'ok',
    quality: 'good',
    resultJson: JSON.stringify({ topClass }),
  };
}
