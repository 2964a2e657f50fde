/**
 * recordings.reviewQueue: by priority (abnormal screen, then uncertain, then the rest; oldest first
 * within each), a filter by screen result, and in each row what the queue's flags need
 * (interrupted, length) — no per-row recordings.get. Real Workstation on a SQLite file.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnalysisStatus } from '../../src/common/analysis-status.js';
import type { Fixture } from './helpers.js';

type Store = Fixture['ws']['internals']['store'];
import { ENGINES, fingerprint, openEngineFixture, stopTestClusters, rejectsWith } from './helpers.js';

after(stopTestClusters);

let n = 0;
function seed(
  store: Store,
  patientId: number,
  userId: number,
  o: { at: string; status?: AnalysisStatus | null; label?: string; take?: 'recorded' | 'interrupted'; sec?: number },
): number {
  return store.tx(() =>
    store.recordings.insert(
      {
        patientId,
        site: 'trachea',
        deviceName: 'test',
        sampleRate: 4000,
        durationSec: o.sec ?? 20,
        fileName: `q${++n}.wav`,
        wavSha256: 'a'.repeat(64),
        status: o.take ?? 'recorded',
        recordedBy: userId,
        recordedAt: o.at,
      },
      o.status === null || o.status === undefined
        ? null
        : {
            engineVersion: '3.0.0',
            headName: 'head',
            headVersion: '1',
            probabilities:
              o.status === 'withheld' ? null : { asthma: 0.1, copd: 0.6, pneumonia: 0.1, healthy: 0.1, bronchial: 0.1 },
            pAbnormal: o.status === 'withheld' ? null : 0.9,
            topClass: o.status === 'withheld' ? null : 'copd',
            status: o.status,
            quality: 'good',
            resultJson: JSON.stringify(o.label ? { screen: { label: o.label }, gate: {} } : { gate: {} }),
          },
    ),
  );
}

for (const engine of ENGINES)
  test(`[${engine}] the review queue: abnormal first, then uncertain, then oldest; filter by screen; flag fields in the rows`, async (t) => {
    const fx = await openEngineFixture(engine, t);
    if (!fx) return;
    try {
      const store = fx.ws.internals.store;
      const nurse = store.users.byUsername('nurse')!.id;
      const p = store.tx(
        () => store.patients.create({ mrn: 'Q-1', givenName: 'Ann', familyName: 'Lee', createdBy: nurse }).id,
      );
      const day = (d: number): string => `2026-01-${String(d).padStart(2, '0')}T10:00:00.000Z`;
      const oldHealthy = seed(store, p, nurse, { at: day(1), status: 'ok', label: 'healthy' });
      const withheld = seed(store, p, nurse, { at: day(2), status: 'withheld' });
      const lateAbnormal = seed(store, p, nurse, { at: day(5), status: 'ok', label: 'abnormal' });
      const uncertain = seed(store, p, nurse, { at: day(3), status: 'uncertain', label: 'uncertain' });
      const earlyAbnormal = seed(store, p, nurse, { at: day(4), status: 'ok', label: 'abnormal' });
      const short = seed(store, p, nurse, { at: day(6), status: null, take: 'interrupted', sec: 2.4 });
      const ids = async (screen?: 'abnormal' | 'healthy' | 'uncertain' | 'withheld' | 'none') =>
        (await fx.ws.call(fx.as.pulmonologist, 'recordings.reviewQueue', screen ? { screen } : {})).items.map(
          (r) => r.id,
        );
      assert.deepEqual(await ids(), [earlyAbnormal, lateAbnormal, uncertain, oldHealthy, withheld, short]);
      assert.deepEqual(await ids('abnormal'), [earlyAbnormal, lateAbnormal]);
      assert.deepEqual(await ids('uncertain'), [uncertain]);
      assert.deepEqual(await ids('healthy'), [oldHealthy]);
      assert.deepEqual(await ids('withheld'), [withheld]);
      assert.deepEqual(await ids('none'), [short]);
      const page = await fx.ws.call(fx.as.pulmonologist, 'recordings.reviewQueue', { limit: 2, offset: 2 });
      assert.deepEqual(
        [page.total, page.items.map((r) => r.id)],
        [6, [uncertain, oldHealthy]],
        'paged in priority order',
      );
      const filtered = await fx.ws.call(fx.as.pulmonologist, 'recordings.reviewQueue', {
        screen: 'abnormal',
        limit: 1,
      });
      assert.equal(filtered.total, 2, 'the total counts the filtered queue');
      const row = (await fx.ws.call(fx.as.pulmonologist, 'recordings.reviewQueue', { screen: 'none' })).items[0]!;
      assert.deepEqual([row.status, row.durationSec], ['interrupted', 2.4], 'the flags are read from the row itself');
      const before = fingerprint(fx.ws);
      await rejectsWith(
        fx.ws.callWire(fx.as.pulmonologist, 'recordings.reviewQueue', { screen: 'bogus' }),
        'INVALID_INPUT',
      );
      await rejectsWith(fx.ws.call(fx.as.nurse, 'recordings.reviewQueue', {}), 'FORBIDDEN');
      assert.equal(fingerprint(fx.ws), before, 'refusals change nothing');
    } finally {
      await fx.ws.close();
    }
  });
