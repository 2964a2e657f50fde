/**
 * `auscult site migrate` against a real PostgreSQL cluster: a small standalone history (made through
 * the service: patients, imports, a finding, a sealed signature) is copied with its audio and its
 * chain verified; a second run copies nothing, a third after more work copies only that; a history
 * with conflicts is refused with each conflict named and the site unchanged; a wrong password
 * changes nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/index.js';
import { signingDir } from '../../src/service/paths.js';
import { Workstation } from '../../src/service/workstation.js';
import { openFixture, PASSWORD, wavBytes } from '../service/helpers.js';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { approveSiteKeys } from '../support/site-serve.js';

const compiled = extname(fileURLToPath(import.meta.url)) === '.js';
const MAIN = join(PROJECT_ROOT, compiled ? 'dist/src/cli/main.js' : 'src/cli/main.ts');

function auscult(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, AUSCULT_DATA_DIR: scratchDir('site-cli-data-'), ...env },
    input: '',
    timeout: 180_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A standalone history through the service; returns its database path and the audit head. */
async function standalone(mrn: string, family: string): Promise<{ db: string; entries: number; wavSha: string[] }> {
  const fx = await openFixture();
  try {
    const nurse = fx.as.nurse;
    const p = await fx.ws.call(nurse, 'patients.create', { mrn, givenName: 'Ann', familyName: family });
    const ids: number[] = [];
    const wavSha: string[] = [];
    for (let i = 0; i < 2; i++) {
      const wav = wavBytes({ rate: 4000, seconds: 1, freq: 200 + 50 * i });
      wavSha.push(createHash('sha256').update(wav).digest('hex'));
      const r = await fx.ws.call(nurse, 'recordings.import', {
        patientId: p.id,
        site: 'trachea',
        fileName: `${i}.wav`,
        wavBase64: wav.toString('base64'),
      });
      ids.push(r.recording.id);
    }
    const doctor = fx.as.pulmonologist;
    await fx.ws.call(doctor, 'findings.add', { recordingId: ids[0]!, text: 'wheeze, left base' });
    await fx.ws.call(doctor, 'recordings.sign', {
      recordingId: ids[0]!,
      label: 'asthma',
      statement: 'reviewed',
      meaning: 'reviewed-agree',
      password: PASSWORD,
    });
    await fx.ws.call(doctor, 'findings.add', { recordingId: ids[0]!, text: 'addendum after sign-off' });
    return { db: fx.dbPath, entries: fx.ws.internals.store.audit.head().seq, wavSha };
  } finally {
    await fx.ws.close();
  }
}

let cluster: PgCluster | null = null;
let skipped: string | null = null;

function counts(c: PgCluster, db: string): Record<string, number> {
  const tables = [
    'users',
    'patients',
    'recordings',
    'recording_audio',
    'analyses',
    'findings',
    'signoffs',
    'record_seals',
    'audit_log',
  ];
  const out = c.psql('auscult_owner', db, tables.map((t) => `SELECT count(*) FROM ${t};`).join('\n'));
  assert.equal(out.status, 0, out.stderr);
  const n = out.stdout.trim().split('\n').map(Number);
  return Object.fromEntries(tables.map((t, i) => [t, n[i]!]));
}

describe('auscult site migrate', () => {
  before(async () => {
    cluster = await startPgCluster((reason) => (skipped = reason));
    cluster?.createSite('site_m', ['ws1']);
  });
  after(() => cluster?.stop());

  it('copies a standalone history with its audio and chain, then only what is new, and refuses conflicts changing nothing', async (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    // the owner applies the schema once; the migration itself runs as a workstation's role
    Store.openSite(cluster.url('auscult_owner', 'site_m')).close();
    const url = cluster.url('ws1', 'site_m');
    const a = await standalone('MRN-1', 'Lee');

    const wrong = auscult(['site', 'migrate', '--from', a.db, '--to', url, '--user', 'admin'], {
      AUSCULT_PASSWORD: 'not the password',
    });
    assert.equal(wrong.code, 1, wrong.err);
    assert.match(wrong.err, /Nothing was changed/);
    assert.equal(counts(cluster, 'site_m')['patients'], 0);

    const nurseOnly = auscult(['site', 'migrate', '--from', a.db, '--to', url, '--user', 'nurse'], {
      AUSCULT_PASSWORD: PASSWORD,
    });
    assert.equal(nurseOnly.code, 1);
    assert.match(nurseOnly.err, /not an administrator/);

    const first = auscult(['site', 'migrate', '--from', a.db, '--to', url, '--user', 'admin', '--json'], {
      AUSCULT_PASSWORD: PASSWORD,
    });
    assert.equal(first.code, 0, first.err + first.out);
    const report = JSON.parse(first.out) as {
      copied: Record<string, number>;
      source: { entries: number; head: { hash: string } };
      migrationEntrySeq: number;
    };
    assert.equal(report.copied['recordings'], 2);
    assert.equal(report.copied['audio'], 2);
    assert.equal(report.copied['seals'], 1);
    assert.equal(report.copied['users'], 5);
    assert.equal(report.source.entries, a.entries);
    // every source entry, a seal of each of the 5 accounts as the site holds it, one re-seal entry
    // and the migration entry (the site had no entries before)
    assert.equal(report.copied['auditEntries'], a.entries);
    const after1 = counts(cluster, 'site_m');
    assert.deepEqual(
      [after1['patients'], after1['recordings'], after1['recording_audio'], after1['signoffs'], after1['record_seals']],
      [1, 2, 2, 1, 1],
    );
    assert.equal(after1['findings'], 2);
    assert.equal(after1['audit_log'], a.entries + 5 + 2);

    // the site's copy: audio byte-exact, chain and seals verified by a fresh reader
    // read with the migrating workstation's signing folder: its checkpoint log of the site
    const site = Store.openSite(url, { readonly: true, signing: { dir: signingDir(dirname(a.db)) } });
    try {
      // the migrating workstation's key awaits the owner's approval: not verified until then
      assert.equal(site.verifyAudit().awaitingApproval?.seq, 1);
      assert.equal(approveSiteKeys(cluster, 'site_m'), 1);
      const chain = site.verifyAudit();
      assert.ok(chain.ok, chain.reason ?? '');
      assert.equal(chain.entries, a.entries + 5 + 2);
      assert.deepEqual(site.verifySeals().problems, []);
      assert.deepEqual(site.recordingHashAnchors(), []);
      const ids = site.db.prepare('SELECT id FROM recordings ORDER BY id').pluck().all() as number[];
      assert.deepEqual(
        ids.map((id) => createHash('sha256').update(site.recordingAudio(id)!).digest('hex')),
        a.wavSha,
      );
      const last = site.db.prepare('SELECT action, details_json FROM audit_log ORDER BY seq DESC LIMIT 1').get() as {
        action: string;
        details_json: string;
      };
      assert.equal(last.action, 'site.migrated');
      assert.equal(
        (JSON.parse(last.details_json) as { source: { head: { hash: string } } }).source.head.hash,
        report.source.head.hash,
      );
    } finally {
      site.close();
    }

    // idempotent: a second run copies nothing and writes no entry
    const again = auscult(['site', 'migrate', '--from', a.db, '--to', url, '--user', 'admin'], {
      AUSCULT_PASSWORD: PASSWORD,
    });
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /Nothing to copy/);
    assert.deepEqual(counts(cluster, 'site_m'), after1);

    // work goes on at the workstation before it moves for good: a third run copies only that
    const ws = await Workstation.open({ dbPath: a.db, dataDir: dirname(a.db), engine: null });
    let headBefore: number;
    let headAfter: number;
    try {
      headBefore = ws.internals.store.audit.head().seq;
      const nurse = { sessionToken: ws.signInLocal('nurse', 'http'), transport: 'http' as const, peer: '127.0.0.1' };
      const p = await ws.call(nurse, 'patients.create', { mrn: 'MRN-2', givenName: 'Bo', familyName: 'Kim' });
      await ws.call(nurse, 'recordings.import', {
        patientId: p.id,
        site: 'trachea',
        fileName: 'c.wav',
        wavBase64: wavBytes({ rate: 4000, seconds: 1, freq: 333 }).toString('base64'),
      });
      headAfter = ws.internals.store.audit.head().seq;
    } finally {
      await ws.close();
    }
    const third = auscult(['site', 'migrate', '--from', a.db, '--to', url, '--user', 'admin', '--json'], {
      AUSCULT_PASSWORD: PASSWORD,
    });
    assert.equal(third.code, 0, third.err + third.out);
    const r3 = JSON.parse(third.out) as { copied: Record<string, number>; alreadyOnSite: Record<string, number> };
    assert.deepEqual(
      [
        r3.copied['patients'],
        r3.copied['recordings'],
        r3.copied['users'],
        r3.copied['seals'],
        r3.copied['auditEntries'],
      ],
      [1, 1, 0, 0, headAfter - headBefore],
    );
    assert.deepEqual([r3.alreadyOnSite['recordings'], r3.alreadyOnSite['auditEntries']], [2, a.entries]);
    const after3 = counts(cluster, 'site_m');
    assert.equal(after3['recordings'], 3);
    assert.equal(after3['audit_log'], after1['audit_log'] + (headAfter - headBefore) + 1);

    // another workstation's history: same MRN for another person, an 'admin' of another account,
    // and (planted) a recording whose file name the site holds with another WAV
    const b = await standalone('MRN-1', 'Okafor');
    const reader = Store.openSite(url, { readonly: true });
    const siteFile = reader.db
      .prepare('SELECT file_name FROM recordings ORDER BY id DESC LIMIT 1')
      .pluck()
      .get() as string;
    reader.close();
    const raw = new Database(b.db);
    raw.prepare('UPDATE recordings SET file_name = ? WHERE id = 2').run(siteFile); // unsigned: not frozen
    raw.prepare("UPDATE users SET display_name = 'Other Admin' WHERE username = 'admin'").run();
    raw.close();
    const bad = auscult(['site', 'migrate', '--from', b.db, '--to', url, '--user', 'admin'], {
      AUSCULT_PASSWORD: PASSWORD,
    });
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.err, /conflict: patient MRN-1: the site has another person .*family name 'Okafor' vs 'Lee'/);
    assert.match(
      bad.err,
      /conflict: user admin: the site has another account .*name 'Other Admin' here, 'Test admin' on the site/,
    );
    assert.match(bad.err, /nothing was copied/);
    assert.match(
      bad.err,
      new RegExp(`conflict: recording 2 \\(${siteFile}\\): the site's recording \\d+ has the same id .*another WAV`),
    );
    assert.deepEqual(counts(cluster, 'site_m'), after3, 'a refused migration changes nothing');
  });
});
