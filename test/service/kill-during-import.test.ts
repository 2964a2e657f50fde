/**
 * A process killed with SIGKILL in the middle of a large import leaves a consistent database:
 * integrity check passes, the audit chain verifies, every recording it reported committed is
 * there with its WAV intact, and no row lacks its file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Store, hashPassword } from '../../src/store/index.js';
import { scratchDir } from '../support/paths.js';
import { writeWav } from './helpers.js';

const here = fileURLToPath(import.meta.url);
const child = here.replace(/kill-during-import\.test\.(ts|js)$/, `import-child${extname(here)}`);

test('SIGKILL during a large import leaves every committed recording intact', async () => {
  const dir = scratchDir('auscult-kill-');
  const store = Store.open(join(dir, 'auscult.sqlite'));
  const hash = await hashPassword('irrelevant-here');
  store.tx(() => {
    const u = store.users.create({ username: 'nurse', displayName: 'N', role: 'nurse', passwordHash: hash });
    store.patients.create({ mrn: 'KILL', givenName: 'K', familyName: 'L', createdBy: u.id });
  });
  store.close();
  const wav = join(dir, 'source.wav');
  const bytes = writeWav(wav, { rate: 48000, seconds: 2 }); // ~190 kB each

  const proc = spawn(process.execPath, [...process.execArgv, child, dir, wav, '100000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const committed = new Map<number, string>();
  let buf = '';
  const exit = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`child made no progress: ${stderr}`)), 60_000);
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        const [, id, sha] = l.split(' ');
        committed.set(Number(id), sha!);
      }
      if (committed.size >= 30) {
        clearTimeout(t);
        proc.kill('SIGKILL');
        resolve();
      }
    });
    proc.on('exit', () => {
      clearTimeout(t);
      if (committed.size < 30) reject(new Error(`child exited early: ${stderr}`));
    });
  });
  assert.equal(await exit, 'SIGKILL');

  const after = Store.open(join(dir, 'auscult.sqlite'));
  assert.deepEqual(after.integrityCheck(), { ok: true, integrity: ['ok'], foreignKeyViolations: 0 });
  assert.equal(after.audit.verify().ok, true);
  const rows = after.db.prepare('SELECT id, file_name, wav_sha256 FROM recordings').all() as {
    id: number;
    file_name: string;
    wav_sha256: string;
  }[];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const expected = createHash('sha256').update(bytes).digest('hex');
  for (const [id, sha] of committed) {
    assert.ok(byId.has(id), `recording ${id} was reported committed and must survive`);
    assert.equal(sha, expected);
  }
  for (const r of rows) {
    const h = createHash('sha256')
      .update(readFileSync(join(dir, 'recordings', r.file_name)))
      .digest('hex');
    assert.equal(h, r.wav_sha256, `recording ${r.id}'s WAV is complete`);
  }
  // One audit entry per recording, committed with it.
  const creates = after.audit.list({ action: 'recording.create' }, 1, 0).total;
  assert.equal(creates, rows.length);
  after.close();
});
