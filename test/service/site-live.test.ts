/**
 * Two workstations on one site database (PostgreSQL): a recording added on one reaches the
 * other's event bus through LISTEN/NOTIFY and its review queue; signing on one freezes it on both;
 * the chain verifies with entries from both.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiEvents } from '../../src/service/api.js';
import { Workstation } from '../../src/service/workstation.js';
import { Store } from '../../src/store/index.js';
import { scratchDir } from '../support/paths.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { approveSiteKeys } from '../support/site-serve.js';

type Changed = ApiEvents['recordings.changed'];

/** The next `recordings.changed` for this recording (a 10 s guard so a lost notice fails, not hangs). */
function nextChange(
  ws: Workstation,
  recordingId: number,
  kind: 'recording.added' | 'recording.signed',
): Promise<Changed> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => {
      stop();
      reject(new Error(`no ${kind} notice for recording ${recordingId}`));
    }, 10_000);
    const stop = ws.internals.events.onEvent('recordings.changed', (p) => {
      if (p.kind !== kind || p.recordingId !== recordingId) return;
      clearTimeout(guard);
      stop();
      resolve(p);
    });
  });
}

let cluster: PgCluster | null = null;
let skipped: string | null = null;

describe('two workstations on one site database', () => {
  before(async () => {
    cluster = await startPgCluster((reason) => (skipped = reason));
    cluster?.createSite('site_live', ['ws1', 'ws2']);
  });
  after(() => cluster?.stop());

  it('an import on one shows in the other’s review queue; a signature on one freezes it on both', async (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    const owner = Store.openSite(c.url('auscult_owner', 'site_live'), { signing: { dir: scratchDir('sign-o-') } });
    const { nurse, doc, patient } = owner.tx(() => {
      const n = owner.users.create({ username: 'nina', displayName: 'Nina', role: 'nurse', passwordHash: 'x' });
      const d = owner.users.create({
        username: 'paul',
        displayName: 'Dr Paul',
        role: 'pulmonologist',
        passwordHash: 'x',
      });
      const p = owner.patients.create({ mrn: 'P1', givenName: 'A', familyName: 'B', createdBy: n.id });
      owner.audit.append({
        username: null,
        action: 'user.create',
        transport: 'cli',
        objectType: 'user',
        objectId: n.id,
      });
      return { nurse: n, doc: d, patient: p };
    });
    owner.close();
    const ward = await Workstation.open({
      dbPath: c.url('ws1', 'site_live'),
      dataDir: scratchDir('ward-'),
      engine: null,
    });
    const desk = await Workstation.open({
      dbPath: c.url('ws2', 'site_live'),
      dataDir: scratchDir('desk-'),
      engine: null,
    });
    try {
      const added = nextChange(desk, 1, 'recording.added');
      const store = ward.internals.store;
      const rid = store.tx(() => {
        const id = store.recordings.insert({
          patientId: patient.id,
          site: 'trachea',
          deviceName: 'ward cart',
          sampleRate: 4000,
          durationSec: 3,
          fileName: 'ward-1.wav',
          wavSha256: 'b'.repeat(64),
          status: 'imported',
          recordedBy: nurse.id,
          recordedAt: new Date().toISOString(),
        });
        store.audit.append({
          username: 'nina',
          action: 'recording.create',
          transport: 'cli',
          objectType: 'recording',
          objectId: id,
        });
        return id;
      });
      assert.equal(rid, 1);
      assert.deepEqual(await added, { kind: 'recording.added', recordingId: rid, patientId: patient.id });
      const token = desk.signInLocal('paul');
      const queue = await desk.call({ sessionToken: token, transport: 'cli' }, 'recordings.reviewQueue', {});
      assert.deepEqual(
        queue.items.map((r) => r.id),
        [rid],
      );

      const signed = nextChange(ward, rid, 'recording.signed');
      const ds = desk.internals.store;
      ds.tx(() => {
        ds.signRecording({
          recordingId: rid,
          userId: doc.id,
          username: 'paul',
          fullName: 'Dr Paul',
          role: 'pulmonologist',
          label: 'healthy',
          statement: 'Reviewed at the desk.',
          meaning: 'agree',
        });
        ds.audit.append({
          username: 'paul',
          action: 'recording.sign',
          transport: 'cli',
          objectType: 'recording',
          objectId: rid,
        });
      });
      await signed;
      assert.throws(
        () =>
          store.tx(() =>
            store.recordings.addAnalysis(rid, {
              engineVersion: '2.0.0',
              headName: 'h',
              headVersion: '1',
              probabilities: null,
              pAbnormal: null,
              topClass: null,
              status: 'withheld',
              quality: 'good',
              resultJson: '{}',
            }),
          ),
        /signed/,
        'the ward workstation cannot add an analysis to what the desk signed',
      );
      assert.equal((await desk.call({ sessionToken: token, transport: 'cli' }, 'recordings.reviewQueue', {})).total, 0);
      assert.ok(store.verifyAudit().awaitingApproval, 'unapproved keys are not verified');
      assert.equal(approveSiteKeys(c, 'site_live'), 3);
      const check = store.verifyAudit();
      assert.equal(check.ok, true, check.reason ?? '');
      const keys = c.psql('auscult_owner', 'site_live', 'SELECT count(DISTINCT key_id) FROM audit_log').stdout.trim();
      assert.equal(keys, '3', 'entries signed by the owner, the ward and the desk');
    } finally {
      await ward.close();
      await desk.close();
    }
  });
});
