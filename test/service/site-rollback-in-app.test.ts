/**
 * The in-app acceptance (`offerRollbackAcceptance`, what `auscult serve` and the desktop app use) on
 * a site database restored from a pg_dump taken before this workstation wrote more (issue 17): the
 * workstation opens it only to say what is missing and to take a site administrator's acceptance;
 * everything else is refused and the site's chain does not move; a nurse is refused; then the
 * history verifies with the rollback reported, and the workstation works again. Real PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Workstation, type CallContext } from '../../src/service/workstation.js';
import { scratchDir } from '../support/paths.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { approveSiteKeys, seedSite } from '../support/site-serve.js';
import { rejectsWith } from './helpers.js';

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
    const createPatient = async (mrn: string) => {
      const ws = await Workstation.open({ dbPath: url, dataDir, engine: null });
      approveSiteKeys(c, SITE);
      const nurse: CallContext = { sessionToken: ws.signInLocal('nina', 'http'), transport: 'http', peer: '127.0.0.1' };
      await ws.call(nurse, 'patients.create', { mrn, givenName: 'Kept', familyName: 'Patient' });
      await ws.close();
    };
    await createPatient('SRB-1');
    const dump = c.dump(SITE);
    const kept = head();
    await createPatient('SRB-2');
    const lost = head();
    c.restore(SITE, dump);

    await assert.rejects(
      Workstation.open({ dbPath: url, dataDir, engine: null }),
      /Auscult will not write on it.*auscult restore accept --db 'postgresql:/,
    );
    const ws = await Workstation.open({ dbPath: url, dataDir, engine: null, offerRollbackAcceptance: true });
    try {
      const status = await ws.call(anon, 'system.status', {});
      assert.equal(status.rollback?.keptSeq, kept);
      assert.equal(status.rollback?.lostToSeq, lost);
      assert.equal(status.rollback?.lostFromSeq, kept + 1);
      assert.deepEqual(status.rollback?.administrators, ['Ada Admin']);
      await rejectsWith(ws.call(anon, 'auth.signIn', { username: 'ada', password: PASSWORD }), 'STORAGE', /older copy/);
      const reason = 'The site disk failed; the DBA restored last night’s dump.';
      await rejectsWith(
        ws.call(anon, 'system.acceptRollback', { username: 'nina', password: PASSWORD, reason }),
        'FORBIDDEN',
        /not an administrator.*Nothing was changed/,
      );
      assert.equal(head(), kept);

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
      // The workstation works again: a sign-in and a search are audited.
      const nurse: CallContext = { sessionToken: ws.signInLocal('nina', 'http'), transport: 'http', peer: '127.0.0.1' };
      const found = await ws.call(nurse, 'patients.search', { query: 'SRB' });
      assert.deepEqual(
        found.items.map((p) => p.mrn),
        ['SRB-1'],
      );
      assert.ok(head() > kept + 1);
    } finally {
      await ws.close();
    }
  });
});
