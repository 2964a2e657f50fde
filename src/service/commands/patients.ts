/** Patients: create, update, search, get. Every read or change is audited in its transaction. */
import { ApiError } from '../errors.js';
import { audit, type CommandTable } from '../handler.js';
import { toPatient, toPatientSummary, toRecordingSummary } from '../mappers.js';
import {
  BREAK_GLASS_MS,
  canEditPatient,
  canSeeAllRecordingsOf,
  CLINICAL_READERS,
  RECORDERS,
  requirePatient,
} from '../access.js';

const DEFAULT_LIMIT = 50;

export const patientsCommands: CommandTable<
  'patients.create' | 'patients.update' | 'patients.search' | 'patients.get' | 'patients.breakGlass'
> = {
  'patients.breakGlass': {
    access: 'user',
    roles: ['nurse'],
    audit: ['patient.break-glass'],
    run(deps, call, p) {
      requirePatient(deps, p.patientId);
      const now = deps.sessions.nowMs();
      const grantedAt = new Date(now).toISOString();
      const expiresAt = new Date(now + BREAK_GLASS_MS).toISOString();
      return deps.store.tx(() => {
        deps.store.patients.grantAccess({
          userId: call.user.id,
          patientId: p.patientId,
          reason: p.reason,
          grantedAt,
          expiresAt,
        });
        // The reason is the nurse's own words about care, not patient data: auditors need it.
        audit(deps, call, 'patient.break-glass', 'patient', p.patientId, { reason: p.reason, expiresAt });
        return { expiresAt };
      });
    },
  },
  'patients.create': {
    access: 'user',
    roles: RECORDERS,
    audit: ['patient.create'],
    run(deps, call, p) {
      return deps.store.tx(() => {
        const created = deps.store.patients.create({ ...p, createdBy: call.user.id });
        audit(deps, call, 'patient.create', 'patient', created.id, { mrn: created.mrn });
        return toPatient(created);
      });
    },
  },
  'patients.update': {
    access: 'user',
    roles: RECORDERS,
    audit: ['patient.update'],
    run(deps, call, p) {
      const { id, ...changes } = p;
      requirePatient(deps, id);
      if (!canEditPatient(deps, call, id)) {
        throw new ApiError(
          'FORBIDDEN',
          'Only the nurse who registered this patient, or a pulmonologist, can change their details.',
        );
      }
      return deps.store.tx(() => {
        const { before, after } = deps.store.patients.update(id, changes);
        // Field names only: the audit log is exported, patient details stay in the patient record.
        const changed = (Object.keys(changes) as (keyof typeof changes)[]).filter(
          (k) => changes[k] !== undefined && changes[k] !== before[k],
        );
        audit(deps, call, 'patient.update', 'patient', id, { fields: changed });
        return toPatient(after);
      });
    },
  },
  'patients.search': {
    access: 'user',
    roles: CLINICAL_READERS,
    audit: ['patient.search'],
    run(deps, call, p) {
      const limit = p.limit ?? DEFAULT_LIMIT;
      const offset = p.offset ?? 0;
      return deps.store.readTx(() => {
        const page = deps.store.patients.search(p.query, limit, offset);
        // That a search ran and whose names it showed, never the typed text: it is often a
        // patient's name, and the audit log is exported (src/store/README.md, "Search").
        audit(deps, call, 'patient.search', 'patient', null, {
          results: page.items.length,
          total: page.total,
          shown: page.items.map((i) => i.id),
        });
        return { items: page.items.map(toPatientSummary), total: page.total, limit, offset };
      });
    },
  },
  'patients.get': {
    access: 'user',
    roles: CLINICAL_READERS,
    audit: ['patient.view'],
    run(deps, call, p) {
      return deps.store.readTx(() => {
        const patient = requirePatient(deps, p.id);
        // A nurse sees her own recordings of this patient, or all of them for her own patient or
        // under break-the-glass (see access.ts).
        const all = canSeeAllRecordingsOf(deps, call, p.id);
        const recordings = deps.store.recordings
          .list(all ? { patientId: p.id } : { patientId: p.id, ownedBy: call.user.id }, 1000, 0)
          .items.map(toRecordingSummary);
        audit(deps, call, 'patient.view', 'patient', p.id, { recordings: recordings.length });
        return { patient: toPatient(patient), recordings, allRecordingsShown: all };
      });
    },
  },
};
