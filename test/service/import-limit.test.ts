/**
 * One import limit (src/common/import-limit.ts) with one message at every door: the service's
 * schema, the loopback wire (a 9-minute 48 kHz import fits in one message) and the CLI, which
 * checks size and header before reading the body (a sparse 3 GB WAV is refused at once).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeWav16 } from '../../src/audio/wav-write.js';
import { importTooLargeMessage, MAX_IMPORT_BYTES } from '../../src/common/import-limit.js';
import { startLoopbackServer } from '../../src/server/loopback-server.js';
import { Workstation } from '../../src/service/workstation.js';
import { USERS, seedUsers } from '../e2e/seed.js';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';
import { WireClient } from '../support/wire-client.js';

function cliArgs(): string[] {
  const compiled = fileURLToPath(import.meta.url).includes(join(PROJECT_ROOT, 'dist'));
  return compiled
    ? [join(PROJECT_ROOT, 'bin', 'auscult.js')]
    : ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts')];
}

/** A WAV whose header announces `dataBytes` of 48 kHz 16-bit mono, sparse on disk. */
function sparseWav(path: string, dataBytes: number): void {
  const h = Buffer.from(encodeWav16(new Float32Array(0), 48000)).subarray(0, 44);
  h.writeUInt32LE(Math.min(0xffffffff, 36 + dataBytes), 4);
  h.writeUInt32LE(Math.min(0xffffffff, dataBytes), 40);
  const fd = openSync(path, 'w');
  writeSync(fd, h);
  ftruncateSync(fd, 44 + dataBytes);
  closeSync(fd);
}

test('a 300 MB import: refused with the same sentence by the API and the CLI; a sparse 3 GB WAV at once', async () => {
  const dir = scratchDir('auscult-limit-');
  const dbPath = join(dir, 'db.sqlite');
  await seedUsers(dbPath, [USERS.nurse]);
  const ws = await Workstation.open({ dbPath, dataDir: dir, engine: null });
  const size = 300_000_000;
  try {
    const ctx = { sessionToken: ws.signInLocal(USERS.nurse.username, 'http'), transport: 'http' as const };
    const p = await ws.call(ctx, 'patients.create', { mrn: 'BIG-1', givenName: 'Ada', familyName: 'Big' });
    await assert.rejects(
      ws.call(ctx, 'recordings.import', {
        patientId: p.id,
        site: 'trachea',
        fileName: 'big.wav',
        wavBase64: 'A'.repeat((size / 3) * 4),
      }),
      (err: Error) => err.message.includes(importTooLargeMessage(size)),
    );
  } finally {
    await ws.close();
  }
  const cli = (file: string) =>
    spawnSync(
      process.execPath,
      [
        ...cliArgs(),
        'import',
        file,
        '--patient',
        'BIG-1',
        '--user',
        USERS.nurse.username,
        '--no-analysis',
        '--db',
        dbPath,
      ],
      {
        encoding: 'utf8',
        cwd: PROJECT_ROOT,
        timeout: 60_000,
        env: { ...process.env, AUSCULT_PASSWORD: USERS.nurse.password },
      },
    );
  const big = join(dir, 'big.wav');
  sparseWav(big, size - 44);
  const r = cli(big);
  assert.equal(r.status, 1, r.stderr);
  assert.ok(r.stderr.includes(importTooLargeMessage(size)), r.stderr);
  const huge = join(dir, 'huge.wav');
  sparseWav(huge, 3 * 1024 ** 3);
  const h = cli(huge);
  assert.equal(h.status, 1, h.stderr);
  assert.ok(h.stderr.includes(`huge.wav: NOT imported: ${importTooLargeMessage(44 + 3 * 1024 ** 3)}`), h.stderr);
  assert.doesNotMatch(h.stderr, /ERR_FS_FILE_TOO_LARGE|^\s+at /m);
});

test('a 9-minute 48 kHz recording imports over the loopback wire (one message under the wire limit)', async () => {
  const dir = scratchDir('auscult-limit-wire-');
  const dbPath = join(dir, 'db.sqlite');
  await seedUsers(dbPath, [USERS.nurse]);
  const ws = await Workstation.open({ dbPath, dataDir: join(dir, 'data'), engine: null });
  const server = await startLoopbackServer({ workstation: ws, rendererDir: join(dir, 'no-ui') });
  const c = await WireClient.open(server.port, server.token);
  try {
    assert.equal(
      (await c.call('auth.signIn', { username: USERS.nurse.username, password: USERS.nurse.password })).ok,
      true,
    );
    const p = (await c.call('patients.create', { mrn: 'LONG-1', givenName: 'Ada', familyName: 'Long' })) as {
      result: { id: number };
    };
    const samples = new Float32Array(9 * 60 * 48000);
    for (let i = 0; i < samples.length; i++) samples[i] = 0.2 * Math.sin(i / 20);
    const wav = Buffer.from(encodeWav16(samples, 48000));
    assert.ok(wav.length > 50_000_000 && wav.length < MAX_IMPORT_BYTES);
    const r = await c.call('recordings.import', {
      patientId: p.result.id,
      site: 'trachea',
      fileName: 'nine-minutes.wav',
      wavBase64: wav.toString('base64'),
    });
    assert.equal(r.ok, true, r.ok ? '' : r.error.message);
    assert.equal((r as { result: { recording: { durationSec: number } } }).result.recording.durationSec, 540);
  } finally {
    c.close();
    await server.close();
    await ws.close();
  }
});
