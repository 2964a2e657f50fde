/**
 * patients.create refuses a taken MRN naming the patient to open, and a patient whose name and
 * birth date match an existing one until the nurse confirms (confirmSimilar), which is audited.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PatientConflictDetails } from '../../src/service/api.js';
import { ENGINES, fingerprint, openEngineFixture, stopTestClusters, rejectsWith } from './helpers.js';

after(stopTestClusters);

for (const engine of ENGINES)
  test(`[${engine}] a taken MRN: refused, changes nothing, and names the patient to open`, async (t) => {
    const fx = await openEngineFixture(engine, t);
    if (!fx) return;
    try {
      const first = await fx.ws.call(fx.as.nurse, 'patients.create', {
        mrn: 'DUP-1',
        givenName: 'Mei',
        familyName: 'Wang',
        birthDate: '1970-02-03',
      });
      const before = fingerprint(fx.ws);
      const err = await rejectsWith(
        fx.ws.call(fx.as.nurse, 'patients.create', { mrn: 'DUP-1', givenName: 'Other', familyName: 'Person' }),
        'CONFLICT',
        /already exists; open that patient/,
      );
      assert.equal(fingerprint(fx.ws), before, 'nothing changed');
      const d = err.details as PatientConflictDetails;
      assert.equal(d.reason, 'mrn');
      assert.deepEqual(d.patients, [{ id: first.id, mrn: 'DUP-1', name: 'Wang, Mei', birthDate: '1970-02-03' }]);
    } finally {
      await fx.ws.close();
    }
  });

for (const engine of ENGINES)
  test(`[${engine}] same name and birth date under another MRN: a warning until confirmed; the confirmation is audited`, async (t) => {
    const fx = await openEngineFixture(engine, t);
    if (!fx) return;
    try {
      const first = await fx.ws.call(fx.as.nurse, 'patients.create', {
        mrn: 'SIM-1',
        givenName: 'José',
        familyName: 'Müller',
        birthDate: '1950-01-01',
      });
      const twin = { mrn: 'SIM-2', givenName: 'jose', familyName: 'MULLER', birthDate: '1950-01-01' };
      const before = fingerprint(fx.ws);
      const err = await rejectsWith(
        fx.ws.call(fx.as.nurse, 'patients.create', twin),
        'CONFLICT',
        /same name and date of birth .*MRN SIM-1.*probably the same person/,
      );
      assert.equal(fingerprint(fx.ws), before, 'nothing changed');
      assert.equal((err.details as PatientConflictDetails).reason, 'similar');
      assert.deepEqual(
        (err.details as PatientConflictDetails).patients.map((p) => p.id),
        [first.id],
      );
      // Another birth date, or none, is not a likely duplicate.
      await fx.ws.call(fx.as.nurse, 'patients.create', { ...twin, mrn: 'SIM-3', birthDate: '1951-01-01' });
      await fx.ws.call(fx.as.nurse, 'patients.create', { ...twin, mrn: 'SIM-4', birthDate: null });
      const second = await fx.ws.call(fx.as.nurse, 'patients.create', { ...twin, confirmSimilar: true });
      assert.equal(second.mrn, 'SIM-2');
      const entry = fx.ws.internals.store.audit
        .list({ action: 'patient.create' }, 10, 0)
        .items.find((e) => e.objectId === String(second.id));
      assert.deepEqual(entry?.details['confirmedNotSimilarTo'], [first.id]);
      assert.equal(entry?.username, 'nurse');
    } finally {
      await fx.ws.close();
    }
  });
