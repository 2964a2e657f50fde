/**
 * The rows an export reads (src/store/export-queries.ts) are the same on both engines: the
 * fields read out of the stored result JSON (gate, status reasons, sound presence) came back from
 * PostgreSQL as text ('true', '0.71') where SQLite gives 1 and a number, and SQLite's json_type
 * does not exist there (the export failed outright on a site).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { recordingsForExport } from '../../src/store/export-queries.js';
import {
  ENGINES,
  openTestStore,
  sampleAnalysis,
  seedPatient,
  seedRecording,
  seedUser,
  stopTestClusters,
} from './helpers.js';

after(stopTestClusters);

for (const engine of ENGINES)
  test(`[${engine}] an export row reads the gate, the status reasons and both sounds' presence from the stored result`, async (t) => {
    const store = await openTestStore(engine, t);
    if (!store) return;
    const u = seedUser(store);
    const p = seedPatient(store, 'MRN-1', 'Ann', 'Lee', u);
    const gated = seedRecording(store, p, u);
    const earlier = seedRecording(store, p, u);
    store.tx(() => {
      store.recordings.addAnalysis(gated, {
        ...sampleAnalysis(),
        engineVersion: '3.0.0',
        resultJson: JSON.stringify({
          gate: { accepted: true },
          statusReasons: ['short'],
          sounds: { crackle: { present: true, probability: 0.71 }, wheeze: { present: false, probability: 0.12 } },
        }),
      });
      store.recordings.addAnalysis(earlier, { ...sampleAnalysis(), engineVersion: '3.0.0' });
    });
    const rows = [...recordingsForExport(store.db, {})];
    assert.equal(rows.length, 2);
    const a = rows.find((r) => r.id === gated)!.analysis!;
    assert.equal(a.result, 'ok');
    assert.deepEqual(a.statusReasons, ['short']);
    assert.deepEqual(a.sounds, {
      crackle: { present: true, probability: 0.71 },
      wheeze: { present: false, probability: 0.12 },
    });
    const b = rows.find((r) => r.id === earlier)!.analysis!;
    assert.equal(b.result, 'earlier-engine', 'no gate in the stored result: an earlier engine, no figures');
    assert.equal(b.sounds, null);
    store.close();
  });
