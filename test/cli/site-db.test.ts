/**
 * Every command that takes --db, given a site database (a real PostgreSQL cluster): import, check
 * (with --files), audit verify (also by AUSCULT_DB_URL), export and the export verified against the
 * site, reanalyze; backup and restore refuse with the sentence that says what to do instead, and
 * restore accept finds nothing to accept. And the store does not load libpq until a site is opened.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Store } from '../../src/store/index.js';
import { writeWav } from '../service/helpers.js';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';

const compiled = extname(fileURLToPath(import.meta.url)) === '.js';
const MAIN = join(PROJECT_ROOT, compiled ? 'dist/src/cli/main.js' : 'src/cli/main.ts');
const PASSWORD = 'site password 1';

let cluster: PgCluster | null = null;
let skipped: string | null = null;
const dataDir = scratchDir('site-ws-');

function auscult(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, AUSCULT_DATA_DIR: dataDir, AUSCULT_PASSWORD: PASSWORD, ...env },
    input: '',
    timeout: 240_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('--db postgresql://… for every command that takes --db', () => {
  before(async () => {
    cluster = await startPgCluster((reason) => (skipped = reason));
    cluster?.createSite('site_cli', ['ws1']);
    if (cluster) Store.openSite(cluster.url('auscult_owner', 'site_cli')).close();
  });
  after(() => cluster?.stop());

  it('imports, checks, verifies, exports and re-analyses on the site; backup and restore refuse', (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const url = cluster.url('ws1', 'site_cli');
    for (const [role, name] of [
      ['admin', 'ada'],
      ['nurse', 'nina'],
      ['auditor', 'otto'],
    ] as const) {
      const r = auscult(['users', 'add', '--role', role, '--db', url, name]);
      assert.equal(r.code, 0, r.err);
    }
    const wav = join(scratchDir('site-wav-'), 'a.wav');
    writeWav(wav, { rate: 4000, seconds: 4 });
    const importAsNina = () =>
      auscult([
        'import',
        wav,
        '--patient',
        'S-1',
        '--create-patient',
        '--given',
        'Ann',
        '--family',
        'Lee',
        '--user',
        'nina',
        '--db',
        url,
        '--no-analysis',
        '--json',
      ]);
    // accounts added here are sealed with this workstation's key, which awaits the owner's approval:
    // they cannot sign in (nor import) until it is approved
    const early = importAsNina();
    assert.equal(early.code, 1, early.out);
    assert.match(
      early.err,
      /This account cannot sign in yet: .*awaits approval.*auscult site approve-key --db postgresql:\/\/OWNER@HOST\/DB [0-9a-f]{32}/,
    );
    assert.equal(cluster.psql('auscult_owner', 'site_cli', 'SELECT count(*) FROM recordings').stdout.trim(), '0');

    // this workstation's key awaits the owner's approval: its entries are not verified yet
    const pending = auscult(['check', '--db', url]);
    assert.equal(pending.code, 1, pending.err + pending.out);
    assert.match(
      pending.out + pending.err,
      /awaits approval.*auscult site approve-key --db postgresql:\/\/OWNER@HOST\/DB [0-9a-f]{32}/,
    );
    const keyId = /key id ([0-9a-f]{32})/.exec(auscult(['audit', 'key', '--db', url]).err)?.[1] ?? '';
    const ownerUrl = cluster.url('auscult_owner', 'site_cli');
    const ownerDir = scratchDir('site-owner-');
    const head = () => cluster!.psql('auscult_owner', 'site_cli', 'SELECT seq FROM audit_chain_head').stdout.trim();
    const before = head();
    const notOwner = auscult(['site', 'approve-key', '--db', url, keyId]);
    assert.equal(notOwner.code, 1, notOwner.err);
    assert.match(
      notOwner.err,
      /connected as role 'ws1', but only the site database's owner \('auscult_owner'.*Nothing was changed\./,
    );
    const listed = auscult(['site', 'approve-key', '--db', ownerUrl, '--data-dir', ownerDir, '--list']);
    assert.equal(listed.code, 0, listed.err);
    assert.match(
      listed.out,
      new RegExp(
        `^${keyId}  workstation '[^']+'  fingerprint ${keyId}[0-9a-f]{32}  first entry \\d+  awaiting approval$`,
        'm',
      ),
    );
    assert.equal(head(), before, 'listing changes nothing');
    const approved = auscult(['site', 'approve-key', '--db', ownerUrl, '--data-dir', ownerDir, keyId]);
    assert.equal(approved.code, 0, approved.err);
    assert.match(approved.out, new RegExp(`^Approved key ${keyId} of workstation`));
    assert.equal(
      cluster
        .psql('auscult_owner', 'site_cli', "SELECT count(*) FROM audit_log WHERE action = 'site.key.approved'")
        .stdout.trim(),
      '1',
    );
    const again = auscult(['site', 'approve-key', '--db', ownerUrl, '--data-dir', ownerDir, keyId]);
    assert.equal(again.code, 1);
    assert.match(again.err, /already approved by auscult_owner at .*Nothing was changed\./);

    const imp = importAsNina();
    assert.equal(imp.code, 0, imp.err);
    const recId = (JSON.parse(imp.out) as { results: { recordingId: number }[] }).results[0]!.recordingId;
    assert.equal(cluster.psql('auscult_owner', 'site_cli', 'SELECT count(*) FROM recordings').stdout.trim(), '1');

    const check = auscult(['check', '--db', url]);
    assert.equal(check.code, 0, check.err + check.out);
    assert.match(check.out, /^OK: database intact .*audit chain of \d+ entries verified/m);

    // --files on a site: the WAVs in the site database, where the intake put it (verified) before
    // releasing this workstation's copy
    const files = auscult(['check', '--db', url, '--files']);
    assert.equal(files.code, 0, files.err + files.out);
    assert.match(files.out, /\b1 WAV files match their hashes/);
    assert.doesNotMatch(files.out, /no WAV in the site database/);
    assert.equal(cluster.psql('auscult_owner', 'site_cli', 'SELECT count(*) FROM recording_audio').stdout.trim(), '1');
    assert.deepEqual(readdirSync(join(dataDir, 'recordings')), [], 'the local copy is released after the upload');

    // the address from the environment works the same as --db
    const verify = auscult(['audit', 'verify'], { AUSCULT_DB_URL: url });
    assert.equal(verify.code, 0, verify.err);
    assert.match(verify.out, /^Audit chain OK: \d+ entries/m);

    const out = scratchDir('site-export-');
    const exp = auscult(['export', 'audit-history', '--out', out, '--user', 'otto', '--db', url, '--json']);
    assert.equal(exp.code, 0, exp.err + exp.out);
    const dest = (JSON.parse(exp.out) as { destination: string }).destination;
    const both = auscult(['audit', 'verify', dest, '--db', url]);
    assert.equal(both.code, 0, both.err + both.out);
    assert.match(both.out, /Audit chain OK/);

    const re = auscult(['reanalyze', '--all', '--db', url, '--workers', '1', '--threads', '1', '--json']);
    assert.equal(re.code, 0, re.err + re.out);
    assert.equal((JSON.parse(re.out) as { analysed: number }).analysed, 1);
    assert.equal(
      cluster
        .psql('auscult_owner', 'site_cli', `SELECT count(*) FROM analyses WHERE recording_id = ${recId}`)
        .stdout.trim(),
      '1',
    );

    const entries = cluster.psql('auscult_owner', 'site_cli', 'SELECT count(*) FROM audit_log').stdout.trim();
    const backup = auscult(['backup', '--to', join(scratchDir('site-bak-'), 'b.zip'), '--db', url]);
    assert.equal(backup.code, 2);
    assert.match(backup.err, /backed up and restored on its server with pg_dump.*README.*Nothing was changed/s);
    const restore = auscult(['restore', '--from', join(out, 'x.zip'), '--to', url]);
    assert.equal(restore.code, 2);
    assert.match(restore.err, /pg_dump \/ pg_restore/);
    // A site that holds everything this workstation signed has nothing to accept (a restored one:
    // test/cli/site-restore-accept.test.ts).
    const accept = auscult(['restore', 'accept', '--user', 'ada', '--db', url]);
    assert.equal(accept.code, 1);
    assert.match(accept.err, /holds this workstation's latest signed checkpoint: there is no rollback to accept/);
    assert.equal(
      cluster.psql('auscult_owner', 'site_cli', 'SELECT count(*) FROM audit_log').stdout.trim(),
      entries,
      'the refusals wrote nothing',
    );
  });

  it('loads libpq only when a site database is opened', (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const storeIndex = join(PROJECT_ROOT, compiled ? 'dist/src/store/index.js' : 'src/store/index.ts');
    const db = join(scratchDir('lazy-'), 'auscult.sqlite');
    const code = `
      import { createRequire } from 'node:module';
      const { Store } = await import(${JSON.stringify(storeIndex)});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => /[\\\\/]pg-native[\\\\/]/.test(k));
      Store.open(${JSON.stringify(db)}).close();
      const afterSqlite = loaded();
      Store.openSite(${JSON.stringify(cluster.url('ws1', 'site_cli'))}, { readonly: true }).close();
      console.log(JSON.stringify({ afterSqlite, afterSite: loaded() }));`;
    const r = spawnSync(
      process.execPath,
      [...process.execArgv.filter((a) => !a.startsWith('--test')), '--input-type=module', '-e', code],
      { encoding: 'utf8', cwd: PROJECT_ROOT },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), { afterSqlite: false, afterSite: true });
  });
});
