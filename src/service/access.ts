/**
 * Who may see what: the access rules, in one place (README.md, "Access"). Every command asks here.
 *
 * Recordings. Pulmonologists see all; auditors read lists and details (they export them) but play
 * no audio; admins see no patient data. A nurse sees:
 * - the recordings she made herself;
 * - every recording of a patient she registered (her patient);
 * - every recording of another patient only after breaking the glass for that patient
 *   (`patients.breakGlass`: a reason in her words, audited as `patient.break-glass`, visible to
 *   auditors, expiring after BREAK_GLASS_MS).
 * Recording into a patient does NOT open that patient's other recordings (issue 14: one import
 * into a colleague's patient used to open everything of that patient).
 *
 * Patients. Any clinical reader may find a patient (to record them, and to avoid duplicate
 * identifiers); a nurse may change the details only of patients she registered or broke the glass for.
 *
 * Live capture belongs to the user who started it: only they see its state, stop or cancel it
 * (capture-controller.ts). Recovery of an interrupted recording is offered to the user who made it
 * or an admin, into the patient it was made for (commands/recordings.ts).
 */
import type { Role } from './api.js';
import type { RecordingRecord } from '../store/index.js';
import { ApiError, notFound } from './errors.js';
import type { Deps, UserCall } from './handler.js';

export const RECORDERS: readonly Role[] = ['nurse', 'pulmonologist'];
export const CLINICAL_READERS: readonly Role[] = ['nurse', 'pulmonologist', 'auditor'];
/** Who may be offered an interrupted recording: its maker (a recorder), or an admin. */
export const RECOVERERS: readonly Role[] = ['nurse', 'pulmonologist', 'admin'];
/** How long a break-the-glass grant lasts: one shift (src/common/break-glass.ts). */
export { BREAK_GLASS_MS } from '../common/break-glass.js';

export function seesAllRecordings(role: Role): boolean {
  return role === 'pulmonologist' || role === 'auditor';
}

function nowIso(deps: Deps): string {
  return new Date(deps.sessions.nowMs()).toISOString();
}

/** Whether the caller sees EVERY recording of this patient (not only those they made). */
export function canSeeAllRecordingsOf(deps: Deps, call: UserCall, patientId: number): boolean {
  if (seesAllRecordings(call.user.role)) return true;
  if (call.user.role !== 'nurse') return false;
  return (
    deps.store.patients.isRegisteredBy(patientId, call.user.id) ||
    deps.store.patients.activeGrant(patientId, call.user.id, nowIso(deps)) !== null
  );
}

/** The caller's live break-the-glass grant for this patient (nurses only), for the patient page's banner. */
export function activeBreakGlass(
  deps: Deps,
  call: UserCall,
  patientId: number,
): { reason: string; grantedAt: string; expiresAt: string } | null {
  if (call.user.role !== 'nurse' || deps.store.patients.isRegisteredBy(patientId, call.user.id)) return null;
  return deps.store.patients.activeGrant(patientId, call.user.id, nowIso(deps));
}

/** Whether the caller sees this one recording. */
export function canSeeRecording(
  deps: Deps,
  call: UserCall,
  r: Pick<RecordingRecord, 'patientId' | 'recordedBy'>,
): boolean {
  if (call.user.role === 'nurse' && r.recordedBy === call.user.username) return true;
  return canSeeAllRecordingsOf(deps, call, r.patientId);
}

/** A nurse may change a patient's details only for her own patients (or under break-the-glass). */
export function canEditPatient(deps: Deps, call: UserCall, patientId: number): boolean {
  if (call.user.role === 'pulmonologist') return true;
  return call.user.role === 'nurse' && canSeeAllRecordingsOf(deps, call, patientId);
}

/** An interrupted recording is offered to the user who made it, or an admin (no sidecar: admins only). */
export function mayRecover(call: UserCall, startedBy: string | null): boolean {
  if (call.user.role === 'admin') return true;
  return startedBy !== null && startedBy.toLowerCase() === call.user.username.toLowerCase();
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
  if (!canSeeRecording(deps, call, r)) {
    throw new ApiError(
      'FORBIDDEN',
      `Recording ${id} was made by another clinician for a patient you did not register. If you need it for this patient's care, use "Access this patient's history" (break the glass) and give your reason; it is audited.`,
    );
  }
  return r;
}
