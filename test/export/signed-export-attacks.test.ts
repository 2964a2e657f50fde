/**
 * Exports as anchors, through the real CLI on real files: `auscult audit verify FOLDER --db` passes
 * an untouched export; a manifest edited (exportedBy), or re-signed with another key, or an
 * export whose history was later truncated (checkpoint log gone too, so only the export remembers)
 * fails naming the damage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { canonicalJson, documentMessage, keyIdOf } from '../../src/store/index.js';
import { MANIFEST_SIGNATURE_PREFIX } from '../../src/export/manifest-signature.js';
import { signingDir } from '../../src/service/paths.js';
import { openFixture } from '../service/helpers.js';
import { PROJECT_ROOT } from '../support/paths.js';

const compiled = extname(fileURLToPath(import.meta.url)) === '.js';
const MAIN = join(PROJECT_ROOT, compiled ? 'dist/src/cli/main.js' : 'src/cli/main.ts');

function auscult(args: string[]) {
  const r = spawnSync(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, AUSCULT_SIGNING_DIR: '' },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

test('a signed audit export verifies against its database; forged manifests and a later truncation are named', async () => {
  const fx = await openFixture();
  const p = await fx.ws.call(fx.as.nurse, 'patients.create', { mrn: 'M-1', givenName: 'Ann', familyName: 'Lee' });
  await fx.ws.call(fx.as.nurse, 'patients.get', { id: p.id });
  const job = await fx.ws.call(fx.as.auditor, 'exports.start', {
    kind: 'audit-history',
    scope: {},
  });
  let done = job;
  while (done.state === 'running') {
    await new Promise((r) => setTimeout(r, 50));
    done = await fx.ws.call(fx.as.auditor, 'exports.status', { jobId: job.id });
  }
  assert.equal(done.state, 'done', done.error ?? '');
  await fx.ws.close();
  const folder = done.destination;
  const manifestPath = join(folder, 'manifest.json');
  const original = readFileSync(manifestPath, 'utf8');
  const m = JSON.parse(original) as { exportedBy: string; signature: { keyId: string; checkpoint: unknown } };
  assert.ok(m.signature.checkpoint, 'the manifest carries the latest signed checkpoint');

  const ok = auscult(['audit', 'verify', folder, '--db', fx.dbPath]);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /manifest signature valid \(key [0-9a-f]+, the workstation's\)/);

  // 1. exportedBy edited.
  writeFileSync(manifestPath, original.replace(`"exportedBy": "${m.exportedBy}"`, '"exportedBy": "someone-else"'));
  const edited = auscult(['audit', 'verify', folder, '--db', fx.dbPath]);
  assert.equal(edited.code, 1);
  assert.match(edited.out, /manifest\.json.*signature is not valid: the manifest was edited/);

  // 2. Re-signed with a key of the forger's own (a well-formed, self-consistent signature).
  const pair = generateKeyPairSync('ed25519');
  const pub = pair.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
  const forged = { ...JSON.parse(original), exportedBy: 'someone-else' } as Record<string, unknown>;
  const block: Record<string, unknown> = {
    ...(forged['signature'] as Record<string, unknown>),
    keyId: keyIdOf(pub),
    publicKey: pub,
  };
  delete block['sig'];
  const sig = sign(
    null,
    documentMessage(MANIFEST_SIGNATURE_PREFIX, canonicalJson({ ...forged, signature: block })),
    pair.privateKey,
  );
  writeFileSync(manifestPath, JSON.stringify({ ...forged, signature: { ...block, sig: sig.toString('base64') } }));
  const resigned = auscult(['audit', 'verify', folder, '--db', fx.dbPath]);
  assert.equal(resigned.code, 1);
  assert.match(resigned.out, /not the workstation's key: it was forged/);
  writeFileSync(manifestPath, original);

  // 3. The newest entries deleted from the database AND its checkpoint log removed: the export remembers.
  const db = new Database(fx.dbPath);
  db.exec('DROP TRIGGER audit_log_no_delete');
  const head = db.prepare('SELECT max(seq) FROM audit_log').pluck().get() as number;
  db.prepare('DELETE FROM audit_log WHERE seq > ?').run(head - 4);
  db.close();
  for (const f of readdirSync(signingDir(fx.dir)))
    if (f.startsWith('checkpoints-')) rmSync(join(signingDir(fx.dir), f));
  const truncated = auscult(['audit', 'verify', folder, '--db', fx.dbPath]);
  assert.equal(truncated.code, 1);
  assert.match(truncated.out, /truncated, rolled back or rewritten since this export/);
});
