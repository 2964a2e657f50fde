/**
 * The in-app acceptance (`offerRollbackAcceptance`, what `auscult serve` and the desktop app use) on
 * a site database restored from a pg_dump taken before this workstation wrote more (issue 17): the
 * workstation opens it only to say what is missing and to take a site administrator's acceptance;
 * everything else is refused and the site's chain does not move; a nurse is refused; a recording
 * waiting in the outbox (saved while the site was away) waits through it rather than being refused;
 * then the history verifies with the rollback reported, the recording uploads, and the workstation
 * works again. Real PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Workstation, type CallContext } from '../../src/service/workstation.js';
import { scratchDir } from '../support/paths.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { approveSiteKeys, seedSite } from '../support/site-serve.js';
import { rejectsWith, wavBytes } from './helpers.js';

const SITE = 'site_rb_app';
const PASSWORD = 'site admin password';
const anon: CallContext = { sessionToken: null, transport: 'http', peer: '127.0.0.1:5000' };

let cluster: PgCluster | null = null;
let skipped: string | null = null;

describe('a restored site database, accepted in the app', () => {
  before(async () => {
    cluster = await startPgCluster((reason) => (skipped = reason));
    cluster?.createSite(SITE, ['ws_app']);
  });
  after(() => cluster?.stop());

  it('says what is missing, answers nothing else, takes only an administrator, then verifies', async (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    await seedSite(c, SITE, [
      { username: 'ada', displayName: 'Ada Admin', role: 'admin', password: PASSWORD },
      { username: 'nina', displayName: 'Nina Nurse', role: 'nurse', password: PASSWORD },
    ]);
    const url = c.url('ws_app', SITE);
    const dataDir = scratchDir('site-rb-app-');
    const head = () => Number(c.psql('auscult_owner', SITE, 'SELECT max(seq) FROM audit_log').stdout.trim());
    let ws = await Workstation.open({ dbPath: url, dataDir, engine: null });
    approveSiteKeys(c, SITE);
    let nurse: CallContext = { sessionToken: ws.signInLocal('nina', 'http'), transport: 'http', peer: '127.0.0.1' };
    const patient = await ws.call(nurse, 'patients.create', { mrn: 'SRB-1', givenName: 'Kept', familyName: 'Patient' });
    const dump = c.dump(SITE);
    const kept = head();
    await ws.call(nurse, 'patients.create', { mrn: 'SRB-2', givenName: 'Lost', familyName: 'Patient' });
    const lost = head();
    c.pause(); // the site is away: an import waits in this workstation's outbox
    await assert.rejects(
      ws.call(nurse, 'recordings.import', {
        patientId: patient.id,
        site: 'trachea',
        fileName: 'away.wav',
        wavBase64: wavBytes({ seconds: 2 }).toString('base64'),
        patientAsShown: { mrn: 'SRB-1', givenName: 'Kept', familyName: 'Patient' }, // checked at upload
      }),
      /Saved on this workstation, waiting to upload/,
    );
    await ws.close();
    c.resume();
    c.restore(SITE, dump);

    await assert.rejects(
      Workstation.open({ dbPath: url, dataDir, engine: null }),
      /Auscult will not write on it.*auscult restore accept --db 'postgresql:/,
    );
    ws = await Workstation.open({
      dbPath: url,
      dataDir,
      engine: null,
      offerRollbackAcceptance: true,
      forwardIntervalMs: 100,
    });
    try {
      const status = await ws.call(anon, 'system.status', {});
      assert.equal(status.rollback?.keptSeq, kept);
      assert.equal(status.rollback?.lostToSeq, lost);
      assert.equal(status.rollback?.lostFromSeq, kept + 1);
      assert.deepEqual(status.rollback?.administrators, ['Ada Admin']);
      assert.deepEqual(status.rollback?.site, { lostCheckpoints: 1 }, 'SRB-2, the one write after the dump');
      await rejectsWith(ws.call(anon, 'auth.signIn', { username: 'ada', password: PASSWORD }), 'STORAGE', /older copy/);
      const reason = 'The site disk failed; the DBA restored last night’s dump.';
      await rejectsWith(
        ws.call(anon, 'system.acceptRollback', { username: 'nina', password: PASSWORD, reason }),
        'FORBIDDEN',
        /not an administrator.*Nothing was changed/,
      );
      assert.equal(head(), kept);
      await new Promise((resolve) => setTimeout(resolve, 500)); // the forwarder's turns while pending

      const r = await ws.call(anon, 'system.acceptRollback', { username: 'ada', password: PASSWORD, reason });
      assert.equal(r.keptSeq, kept);
      assert.equal(r.lostToSeq, lost);
      assert.equal(head(), kept + 1);
      assert.equal((await ws.call(anon, 'system.status', {})).rollback, undefined);
      const v = ws.internals.store.verifyAudit();
      assert.equal(v.ok, true, v.reason ?? '');
      assert.equal(v.acceptedRollbacks?.[0]?.acceptedBy, 'ada');
      const entry = ws.internals.store.audit.list({ action: 'audit.rollback-accepted' }, 1, 0).items[0]!;
      assert.equal((entry.details as { reason: string }).reason, reason);
      assert.deepEqual(
        (entry.details as { refusedAttempts: { username: string }[] }).refusedAttempts.map((a) => a.username),
        ['nina'],
      );
      // The workstation works again: a sign-in and a search are audited, the waiting recording uploads.
      nurse = { sessionToken: ws.signInLocal('nina', 'http'), transport: 'http', peer: '127.0.0.1' };
      const found = await ws.call(nurse, 'patients.search', { query: 'SRB' });
      assert.deepEqual(
        found.items.map((p) => p.mrn),
        ['SRB-1'],
      );
      assert.ok(head() > kept + 1);
      const end = Date.now() + 30_000;
      for (;;) {
        const outbox = (await ws.call(nurse, 'system.status', {})).detail?.outbox;
        assert.equal(outbox?.refused, 0, 'not refused while the acceptance was pending');
        if (outbox.waiting === 0) break;
        assert.ok(Date.now() < end, 'the waiting recording was not uploaded');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(c.psql('auscult_owner', SITE, 'SELECT count(*) FROM recording_audio').stdout.trim(), '1');
    } finally {
      await ws.close();
    }
  });
});
