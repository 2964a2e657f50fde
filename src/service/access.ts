/**
 * Who may see which patient's recordings.
 *
 * A nurse's "own" patients are those the nurse created or has recorded at least once: a nurse
 * may find any patient (to record them, and to avoid duplicate identifiers) but sees recordings,
 * audio and analyses only of own patients. Pulmonologists see all recordings. Auditors may read
 * patient and recording lists and details (they export them) but not play audio. Admins manage
 * users and see no patient data.
 */
import type { Role } from './api.js';
import type { RecordingRecord } from '../store/index.js';
import { ApiError, notFound } from './errors.js';
import type { Deps, UserCall } from './handler.js';

export const RECORDERS: readonly Role[] = ['nurse', 'pulmonologist'];
export const CLINICAL_READERS: readonly Role[] = ['nurse', 'pulmonologist', 'auditor'];

export function seesAllRecordings(role: Role): boolean {
  return role === 'pulmonologist' || role === 'auditor';
}

export function canSeeRecordingsOf(deps: Deps, call: UserCall, patientId: number): boolean {
  if (seesAllRecordings(call.user.role)) return true;
  if (call.user.role === 'nurse') return deps.store.patients.isOwnedBy(patientId, call.user.id);
  return false;
}

export function requirePatient(deps: Deps, id: number) {
  const p = deps.store.patients.get(id);
  if (!p) throw notFound('Patient', id);
  return p;
}

/** The recording, if this caller may see it; otherwise a typed error (nothing is read or written). */
export function requireRecording(deps: Deps, call: UserCall, id: number): RecordingRecord {
  const r = deps.store.recordings.get(id);
  if (!r) throw notFound('Recording', id);
  if (!canSeeRecordingsOf(deps, call, r.patientId)) {
    throw new ApiError(
      'FORBIDDEN',
      `Recording ${id} belongs to a patient you have not recorded or registered; a pulmonologist can open it.`,
    );
  }
  return r;
}
