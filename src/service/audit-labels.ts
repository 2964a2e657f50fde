/**
 * Audit objects as people read them (issue 15): "recording 2" becomes the patient's MRN and name,
 * the chest site and the date; "user 5" the user name. The ids stay in the entry for machines
 * (and in the CSV/JSON exports, which are not labelled).
 */
import type { ServiceStore } from './handler.js';
import type { AuditEntry } from './api.js';

type Labelled = Pick<AuditEntry, 'objectType' | 'objectId'>;

export function auditObjectLabeller(store: ServiceStore): (e: Labelled) => string | null {
  const cache = new Map<string, string | null>();
  const look = (type: string, id: number): string | null => {
    if (type === 'patient') {
      const p = store.patients.get(id);
      return p ? `patient ${p.mrn} (${p.familyName}, ${p.givenName})` : null;
    }
    if (type === 'recording') {
      const r = store.recordings.get(id);
      if (!r) return null;
      const p = store.patients.get(r.patientId);
      const who = p ? `${p.mrn} (${p.familyName}, ${p.givenName})` : r.patientMrn;
      return `recording of ${who}, ${r.site}, ${r.recordedAt.slice(0, 10)}`;
    }
    if (type === 'user') {
      const u = store.users.byId(id);
      return u ? `user ${u.username}` : null;
    }
    return null;
  };
  return (e) => {
    if (!e.objectType || e.objectId === null || !/^\d+$/.test(e.objectId)) return null;
    const key = `${e.objectType}:${e.objectId}`;
    if (!cache.has(key)) cache.set(key, look(e.objectType, Number(e.objectId)));
    return cache.get(key) ?? null;
  };
}
