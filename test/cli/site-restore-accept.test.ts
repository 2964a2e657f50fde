/**
 * `auscult restore accept --db postgresql://…` end to end, in real processes on a real PostgreSQL
 * cluster: the site database restored from a pg_dump taken before this workstation wrote more. A
 * write is refused with the sentence naming the command; `audit verify` fails; the acceptance
 * states the loss, refuses a nurse and a wrong password (nothing written on the site or in the log,
 * the attempts recorded), takes an administrator of the site with their password, and then `audit
 * verify` passes naming the accepted rollback and the workstation writes on. A password in the
 * address is refused before anything connects.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Store } from '../../src/store/index.js';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { approveSiteKeys } from '../support/site-serve.js';

const compiled = extname(fileURLToPath(import.meta.url)) === '.js';
const MAIN = join(PROJECT_ROOT, compiled ? 'dist/src/cli/main.js' : 'src/cli/main.ts');
const SITE = 'site_restore_accept';

let cluster: PgCluster | null = null;
let skipped: string | null = null;
const dataDir = scratchDir('site-ra-ws-');

function auscult(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, AUSCULT_DATA_DIR: dataDir, AUSCULT_SIGNING_DIR: '', ...env },
    input: '',
    timeout: 240_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('auscult restore accept --db postgresql://… (a site restored from an older dump)', () => {
  before(async () => {
    cluster = await startPgCluster((reason) => (skipped = reason));
    cluster?.createSite(SITE, ['ws_ra']);
    if (cluster) Store.openSite(cluster.url('auscult_owner', SITE)).close();
  });
  after(() => cluster?.stop());

  it('refuses the restored site until an administrator accepts it, then verifies and writes on', (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    const url = c.url('ws_ra', SITE);
    const head = () => Number(c.psql('auscult_owner', SITE, 'SELECT max(seq) FROM audit_log').stdout.trim());
    const add = (role: string, name: string, password: string) =>
      auscult(['users', 'add', '--role', role, '--db', url, name], { AUSCULT_PASSWORD: password });
    assert.equal(add('admin', 'ada', 'admin-password-1').code, 0);
    approveSiteKeys(c, SITE);
    assert.equal(add('nurse', 'nina', 'nurse-password-1').code, 0);
    const dump = c.dump(SITE); // last night's backup
    const kept = head();
    assert.equal(add('nurse', 'nora', 'nurse-password-2').code, 0);
    const signing = `${dataDir}-signing`;
    const log = join(
      signing,
      readdirSync(signing).find((f) => f.startsWith('checkpoints-'))!,
    );
    c.restore(SITE, dump); // the disk failed; the DBA restored the dump

    const refused = add('nurse', 'nora', 'nurse-password-2');
    assert.equal(refused.code, 1);
    assert.match(refused.err, /restored from an older backup.*auscult restore accept --db 'postgresql:\/\/ws_ra@/);
    const broken = auscult(['audit', 'verify', '--db', url]);
    assert.equal(broken.code, 1);

    const logBefore = readFileSync(log, 'utf8');
    for (const [who, user, password, why] of [
      ['a nurse', 'nina', 'nurse-password-1', /not an administrator/],
      ['a wrong password', 'ada', 'not-her-password', /Wrong user name or password/],
    ] as const) {
      const r = auscult(['restore', 'accept', '--db', url, '--user', user], { AUSCULT_PASSWORD: password });
      assert.equal(r.code, 1, who);
      assert.match(r.err, why, who);
      assert.match(r.err, /Nothing was changed; the attempt is recorded/, who);
      assert.match(
        r.out,
        new RegExp(`restored from an older copy.*holds what it checkpointed only up to entry ${kept}`),
        who,
      );
      assert.equal(head(), kept, `${who}: nothing on the site`);
      assert.equal(readFileSync(log, 'utf8'), logBefore, `${who}: nothing in the log`);
    }

    const ok = auscult(['restore', 'accept', '--db', url, '--user', 'ada'], { AUSCULT_PASSWORD: 'admin-password-1' });
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, new RegExp(`gives up, for this workstation, entr(y|ies) ${kept + 1}`));
    assert.match(ok.out, new RegExp(`Rollback accepted by ada: the history goes on from entry ${kept}`));
    assert.equal(head(), kept + 1);
    const entry = JSON.parse(
      c.psql('auscult_owner', SITE, `SELECT details_json FROM audit_log WHERE seq = ${kept + 1}`).stdout.trim(),
    ) as { acceptedBy: string; osAccount: string; refusedAttempts: { username: string; reason: string }[] };
    assert.equal(entry.acceptedBy, 'ada');
    assert.ok(entry.osAccount.length > 0);
    assert.deepEqual(
      entry.refusedAttempts.map((r) => [r.username, r.reason]),
      [
        ['nina', 'not-admin'],
        ['ada', 'wrong-password'],
      ],
    );

    const verified = auscult(['audit', 'verify', '--db', url]);
    assert.equal(verified.code, 0, verified.err);
    assert.match(verified.out, /note: rollback accepted by ada/);
    assert.equal(add('nurse', 'nora', 'nurse-password-2').code, 0, 'the workstation writes on');
    const again = auscult(['restore', 'accept', '--db', url, '--user', 'ada'], {
      AUSCULT_PASSWORD: 'admin-password-1',
    });
    assert.equal(again.code, 1);
    assert.match(again.err, /no rollback to accept/);
  });

  it('refuses a password in the address before connecting', (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const r = auscult(['restore', 'accept', '--db', 'postgresql://ws_ra:secret@localhost/x', '--user', 'ada']);
    assert.equal(r.code, 1);
    assert.match(r.err, /contains a password.*PGPASSWORD.*Nothing was changed/);
    assert.doesNotMatch(r.out + r.err, /secret/);
  });
});
