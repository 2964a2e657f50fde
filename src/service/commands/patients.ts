/** Patients: create, update, search, get. Every read or change is audited in its transaction. */
import { ApiError } from '../errors.js';
import { audit, type CommandTable } from '../handler.js';
import type { PatientConflictDetails } from '../api.js';
import type { PatientRecord } from '../../store/index.js';
import { toPatient, toPatientSummary, toRecordingSummary } from '../mappers.js';
import {
  activeBreakGlass,
  BREAK_GLASS_MS,
  canEditPatient,
  canSeeAllRecordingsOf,
  CLINICAL_READERS,
  RECORDERS,
  requirePatient,
} from '../access.js';

const DEFAULT_LIMIT = 50;

function conflict(reason: PatientConflictDetails['reason'], found: PatientRecord[]): PatientConflictDetails {
  return {
    reason,
    patients: found.map((f) => ({
      id: f.id,
      mrn: f.mrn,
      name: `${f.familyName}, ${f.givenName}`,
      birthDate: f.birthDate,
    })),
  };
}

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
      const { confirmSimilar, ...fields } = p;
      return deps.store.tx(() => {
        const taken = deps.store.patients.byMrn(fields.mrn);
        if (taken)
          throw new ApiError(
            'CONFLICT',
            `A patient with identifier '${fields.mrn}' already exists; open that patient instead of creating a new one.`,
            conflict('mrn', [taken]),
          );
        // Same name and birth date under another MRN is most often the same person registered twice.
        const similar = fields.birthDate
          ? deps.store.patients.similar(fields.givenName, fields.familyName, fields.birthDate)
          : [];
        if (similar.length && !confirmSimilar)
          throw new ApiError(
            'CONFLICT',
            `${similar.length === 1 ? 'A patient' : `${similar.length} patients`} with the same name and date of birth already ${similar.length === 1 ? 'exists' : 'exist'} (MRN ${similar.map((s) => s.mrn).join(', ')}): probably the same person. Open that patient, or confirm that this is a different person.`,
            conflict('similar', similar),
          );
        const created = deps.store.patients.create({ ...fields, createdBy: call.user.id });
        // Who confirmed a likely duplicate, and which patients it resembled (ids, not names).
        audit(deps, call, 'patient.create', 'patient', created.id, {
          mrn: created.mrn,
          ...(similar.length ? { confirmedNotSimilarTo: similar.map((s) => s.id) } : {}),
        });
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
        // How many she does not see (a count, no more), so the page can say why and offer the
        // break-the-glass dialog instead of looking like the whole history.
        const hiddenRecordings = all
          ? 0
          : deps.store.recordings.list({ patientId: p.id }, 1, 0).total - recordings.length;
        audit(deps, call, 'patient.view', 'patient', p.id, {
          recordings: recordings.length,
          ...(hiddenRecordings ? { hidden: hiddenRecordings } : {}),
        });
        return {
          patient: toPatient(patient),
          recordings,
          allRecordingsShown: all,
          hiddenRecordings,
          breakGlass: activeBreakGlass(deps, call, p.id),
        };
      });
    },
  },
};
