/**
 * Four workstations (processes, each with its own signing key) importing into one site database
 * at once: nothing lost, one valid chain, entries signed by all four.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Store } from '../../src/store/index.js';
import { scratchDir } from '../support/paths.js';
import { startPgCluster, type PgCluster } from '../support/pg-cluster.js';

const here = fileURLToPath(import.meta.url);
const childScript = here.replace(/pg-concurrency\.test\.(ts|js)$/, `pg-writer-child${extname(here)}`);
const PER_WORKSTATION = 200;

function runChild(url: string, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, childScript, url, scratchDir(`sign-${name}-`), String(PER_WORKSTATION), name],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${name} exited ${code}: ${err}`))));
  });
}

let cluster: PgCluster | null = null;
let skipped: string | null = null;

describe('site database: four workstations at once', () => {
  before(async () => {
    cluster = await startPgCluster((reason) => (skipped = reason));
    cluster?.createSite('site_c', ['ws1', 'ws2', 'ws3', 'ws4']);
  });
  after(() => cluster?.stop());

  it(`4 processes importing ${PER_WORKSTATION} recordings each lose nothing; the chain verifies with entries from all 4`, async (t) => {
    if (!cluster) {
      t.skip(skipped ?? 'no cluster');
      return;
    }
    const c = cluster;
    const admin = Store.openSite(c.url('auscult_owner', 'site_c'), { signing: { dir: scratchDir('sign-admin-') } });
    try {
      admin.tx(() => {
        const u = admin.users.create({ username: 'nina', displayName: 'Nina', role: 'nurse', passwordHash: 'x' });
        admin.patients.create({ mrn: 'P', givenName: 'A', familyName: 'B', createdBy: u.id });
        admin.audit.append({
          username: null,
          action: 'user.create',
          transport: 'cli',
          objectType: 'user',
          objectId: u.id,
        });
      });
      const outs = await Promise.all(['ws1', 'ws2', 'ws3', 'ws4'].map((ws) => runChild(c.url(ws, 'site_c'), ws)));
      assert.deepEqual(outs, Array(4).fill(`done ${PER_WORKSTATION}\n`));
      assert.equal(admin.recordings.list({}, 1, 0).total, 4 * PER_WORKSTATION);
      assert.equal(admin.recordings.reviewQueue(1, 0).total, 4 * PER_WORKSTATION, 'the queue counter saw every insert');
      const check = admin.verifyAudit();
      assert.equal(check.ok, true, check.reason ?? '');
      assert.equal(check.entries, 1 + 4 * PER_WORKSTATION);
      assert.equal(check.signaturesChecked, check.entries, 'every entry carries its own signature');
      const byKey = c.psql('auscult_owner', 'site_c', 'SELECT count(DISTINCT key_id) FROM audit_log').stdout.trim();
      assert.equal(byKey, '5', 'signed by the four workstations and the admin');
      const interleaved = c
        .psql(
          'auscult_owner',
          'site_c',
          'SELECT count(*) FROM (SELECT key_id, lag(key_id) OVER (ORDER BY seq) AS prev FROM audit_log) x WHERE key_id <> prev',
        )
        .stdout.trim();
      assert.ok(Number(interleaved) > 4, `the workstations' entries interleave in one chain (${interleaved} switches)`);
    } finally {
      admin.close();
    }
  });
});
