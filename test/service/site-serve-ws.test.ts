/**
 * Workstations as separate `auscult serve` processes on one PostgreSQL site database, driven over
 * their loopback WebSockets: an import on one reaches the other's clients as `recordings.changed`
 * and its review queue; a signature on one freezes the recording on both; the audit chain verifies
 * with entries signed by each workstation's own key; four processes importing 200 recordings each
 * at once (through serve, not the store) lose nothing. Latencies are printed, not asserted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RecordingChange, WireEvent, WireResponse } from '../../src/service/api.js';
import { Store } from '../../src/store/index.js';
import { syntheticBreath, wavBytes } from '../e2e/fixtures.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { approveSiteKeys, seedSite, startSiteServe, type SiteServe, type SiteUser } from '../support/site-serve.js';
import { WireClient } from '../support/wire-client.js';

const NURSE: SiteUser = { username: 'nina', displayName: 'Nina Nurse', role: 'nurse', password: 'nurse-pass-1234' };
const DOCTOR: SiteUser = {
  username: 'paul',
  displayName: 'Dr Paul Pulmo',
  role: 'pulmonologist',
  password: 'doctor-pass-1234',
};
const WAV = wavBytes(syntheticBreath(4000, 3), 4000).toString('base64');

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the result's shape
function ok<T>(r: WireResponse): T {
  if (!r.ok) assert.fail(`${r.error.code}: ${r.error.message}`);
  return r.result as T;
}

async function client(ws: SiteServe, user: SiteUser): Promise<WireClient> {
  const c = await WireClient.open(ws.port, ws.token);
  ok(await c.call('auth.signIn', { username: user.username, password: user.password }));
  return c;
}

/** Resolves with the first change event `match` accepts (seen before or after the call); a 10 s guard. */
async function changeEvent(c: WireClient, match: (e: RecordingChange) => boolean): Promise<RecordingChange> {
  const end = Date.now() + 10_000;
  for (;;) {
    const hit = c.events.find(
      (e: WireEvent) => e.event === 'recordings.changed' && match(e.payload as RecordingChange),
    );
    if (hit) return hit.payload as RecordingChange;
    if (Date.now() > end) assert.fail('no recordings.changed event within 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

let cluster: PgCluster | null = null;
let skipped: string | null = null;
/** The owner's signing folder (seedSite): verification opens the site with it. */
let ownerSigning = '';

describe('workstations as serve processes on one site database', () => {
  before(async () => {
    cluster = await startPgCluster((reason) => (skipped = reason));
    cluster?.createSite('site_ws', ['ward', 'desk', 'w1', 'w2', 'w3', 'w4']);
  });
  after(() => cluster?.stop());

  it('an import on one shows in the other’s queue; signing on one freezes it on both; one chain, both keys', async (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    ownerSigning = await seedSite(c, 'site_ws', [NURSE, DOCTOR]);
    // the owner's key sealed the accounts: approved first, or they cannot sign in (user-credential.ts)
    assert.equal(approveSiteKeys(c, 'site_ws'), 1);
    const [ward, desk] = await Promise.all([
      startSiteServe(c.url('ward', 'site_ws'), 'ward'),
      startSiteServe(c.url('desk', 'site_ws'), 'desk'),
    ]);
    const clients: WireClient[] = [];
    try {
      const nurse = await client(ward, NURSE);
      const docAtDesk = await client(desk, DOCTOR);
      const docOnWard = await client(ward, DOCTOR);
      clients.push(nurse, docAtDesk, docOnWard);
      const patient = ok<{ id: number }>(
        await nurse.call('patients.create', { mrn: 'S-1', givenName: 'Omar', familyName: 'Haddad', sex: 'male' }),
      );

      const t0 = performance.now();
      const imported = ok<{ recording: { id: number } }>(
        await nurse.call('recordings.import', {
          patientId: patient.id,
          site: 'trachea',
          fileName: 'ward.wav',
          wavBase64: WAV,
        }),
      );
      const rid = imported.recording.id;
      const added = await changeEvent(
        docAtDesk,
        (e) => e.kind === 'recording.added' && e.recordingId === rid && e.patientId === patient.id,
      );
      const queue = ok<{ items: { id: number }[]; total: number }>(await docAtDesk.call('recordings.reviewQueue', {}));
      console.log(
        `# import on the ward → in the desk's queue: ${(performance.now() - t0).toFixed(0)} ms (from the call)`,
      );
      assert.equal(added.kind, 'recording.added');
      assert.deepEqual(
        queue.items.map((r) => r.id),
        [rid],
      );

      ok(
        await docAtDesk.call('recordings.sign', {
          recordingId: rid,
          label: 'healthy',
          statement: 'Reviewed at the desk; normal vesicular breath sounds.',
          meaning: 'reviewed-agree',
          password: DOCTOR.password,
        }),
      );
      const t1 = performance.now();
      await changeEvent(docOnWard, (e) => e.kind === 'recording.signed' && e.recordingId === rid);
      console.log(
        `# signed at the desk → announced on the ward: ${(performance.now() - t1).toFixed(0)} ms (from the answer)`,
      );
      // frozen on the other workstation: signing again is refused with a sentence, and a finding
      // can only be an amendment
      const again = await docOnWard.call('recordings.sign', {
        recordingId: rid,
        label: 'copd',
        statement: 'Signed again on the ward.',
        meaning: 'reviewed-differs',
        password: DOCTOR.password,
      });
      assert.equal(again.ok, false);
      if (!again.ok) {
        assert.equal(again.error.code, 'SIGNED');
        assert.match(again.error.message, /already signed by paul.*amendment/);
      }
      const amendment = ok<{ isAmendment: boolean }>(
        await docOnWard.call('findings.add', { recordingId: rid, text: 'Second thoughts.' }),
      );
      assert.equal(amendment.isAmendment, true);
      type Detail = {
        recording: { signed: boolean };
        signoff: { meaning: string; seal: { valid: boolean; problem: string | null } | null } | null;
      };
      // the desk's key awaits the owner's approval: its seal is not valid on the ward until then
      const unapproved = ok<Detail>(await docOnWard.call('recordings.get', { id: rid }));
      assert.equal(unapproved.signoff?.seal?.valid, false);
      assert.equal(approveSiteKeys(c, 'site_ws'), 2, "the ward's and the desk's keys (the owner's was approved first)");
      const onWard = ok<Detail>(await docOnWard.call('recordings.get', { id: rid }));
      assert.deepEqual(onWard.signoff?.seal, { valid: true, problem: null }, 'the desk’s seal, checked on the ward');
      assert.equal(onWard.recording.signed, true);
      assert.equal(onWard.signoff?.meaning, 'reviewed-agree', 'the desk’s sign-off, unchanged');
      assert.equal(ok<{ total: number }>(await docOnWard.call('recordings.reviewQueue', {})).total, 0);
      assert.equal(ok<{ total: number }>(await docAtDesk.call('recordings.reviewQueue', {})).total, 0);

      // the chain: one, valid, with entries signed by the owner's, the ward's and the desk's keys
      const owner = Store.openSite(c.url('auscult_owner', 'site_ws'), { signing: { dir: ownerSigning } });
      try {
        const check = owner.verifyAudit();
        assert.equal(check.ok, true, check.reason ?? '');
        assert.equal(check.signaturesChecked, check.entries);
      } finally {
        owner.close();
      }
      const keys = c.psql('auscult_owner', 'site_ws', 'SELECT count(DISTINCT key_id) FROM audit_log').stdout.trim();
      assert.equal(keys, '3', "entries signed by the owner's, the ward's and the desk's keys");
    } finally {
      for (const cl of clients) cl.close();
      await Promise.all([ward.stop(), desk.stop()]);
    }
  });

  it('4 serve processes importing 200 recordings each at once lose nothing; the chain verifies', async (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    const PER = 200;
    const names = ['w1', 'w2', 'w3', 'w4'];
    const before = Number(c.psql('auscult_owner', 'site_ws', 'SELECT count(*) FROM recordings').stdout.trim());
    const oldKeys = c.psql('auscult_owner', 'site_ws', 'SELECT key_id FROM workstation_keys').stdout.trim().split('\n');
    const serves = await Promise.all(names.map((n) => startSiteServe(c.url(n, 'site_ws'), n)));
    const clients: WireClient[] = [];
    try {
      const nurses = await Promise.all(serves.map((s) => client(s, NURSE)));
      clients.push(...nurses);
      const patient = ok<{ items: { id: number }[] }>(await nurses[0]!.call('patients.search', { query: 'S-1' }))
        .items[0]!;
      const t0 = performance.now();
      const ids = await Promise.all(
        nurses.map(async (n, k) => {
          const got: number[] = [];
          for (let i = 0; i < PER; i++) {
            const r = ok<{ recording: { id: number } }>(
              await n.call('recordings.import', {
                patientId: patient.id,
                site: 'trachea',
                fileName: `w${k + 1}-${i}.wav`,
                wavBase64: WAV,
              }),
            );
            got.push(r.recording.id);
          }
          return got;
        }),
      );
      const secs = (performance.now() - t0) / 1000;
      console.log(`# 4 × ${PER} imports through serve: ${secs.toFixed(1)} s, ${((4 * PER) / secs).toFixed(0)} /s`);
      const all = ids.flat();
      assert.equal(new Set(all).size, 4 * PER, 'every import got its own recording');
      const owner = Store.openSite(c.url('auscult_owner', 'site_ws'), { signing: { dir: ownerSigning } });
      try {
        assert.equal(owner.recordings.list({}, 1, 0).total, before + 4 * PER);
        assert.equal(approveSiteKeys(c, 'site_ws'), 4, "the four new workstations' keys");
        const check = owner.verifyAudit();
        assert.equal(check.ok, true, check.reason ?? '');
        assert.equal(check.signaturesChecked, check.entries);
      } finally {
        owner.close();
      }
      // each workstation signed its own 200 imports with its own key
      const perKey = c
        .psql(
          'auscult_owner',
          'site_ws',
          `SELECT key_id, count(*) FROM audit_log WHERE action = 'recording.create' GROUP BY key_id`,
        )
        .stdout.trim()
        .split('\n')
        .map((l) => l.split('|'))
        .filter(([k]) => !oldKeys.includes(k!))
        .map(([, n]) => Number(n));
      assert.deepEqual(perKey, [PER, PER, PER, PER]);
    } finally {
      for (const cl of clients) cl.close();
      await Promise.all(serves.map((s) => s.stop()));
    }
  });
});
