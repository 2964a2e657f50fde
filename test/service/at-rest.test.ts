/**
 * Private at rest: every file the workstation writes is 0600 in 0700 folders (with the test's
 * ordinary umask, so the explicit modes are what is tested); with encryption on, `strings` of
 * the database and the recordings folder shows no patient name, the stored audio is not a WAV,
 * and the app's calls, `auscult check --files` and the recovery of an interrupted capture work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AudioFileError, decodeWav } from '../../src/audio/wav-read.js';
import { WavStreamWriter } from '../../src/audio/wav-stream-writer.js';
import { writeRecoveryMeta } from '../../src/capture/recovery.js';
import { createFileLog } from '../../src/main/file-log.js';
import { createKeyFile, initEncryption } from '../../src/service/at-rest-keys.js';
import { Workstation } from '../../src/service/workstation.js';
import { Store, StoreError, hashPassword, restoreBackupArchive, writeBackupArchive } from '../../src/store/index.js';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';
import { rejectsWith, wavBytes } from './helpers.js';
import { createAccount } from '../support/accounts.js';

const NAME = { givenName: 'Zephyrine', familyName: 'Quillfeather' };

function walk(dir: string): { path: string; dir: boolean }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? [{ path: p, dir: true }, ...walk(p)] : [{ path: p, dir: false }];
  });
}

function cliArgs(): string[] {
  const compiled = fileURLToPath(import.meta.url).includes(join(PROJECT_ROOT, 'dist'));
  return compiled
    ? [join(PROJECT_ROOT, 'bin', 'auscult.js')]
    : ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts')];
}

/** A workstation with a nurse, an auditor, a patient and one imported recording. */
async function populated(ws: Workstation): Promise<{ patientId: number; recordingId: number; nurse: string }> {
  const store = ws.internals.store;
  const passwordHash = await hashPassword('correct horse battery');
  store.tx(() => {
    createAccount(store, { username: 'nurse', displayName: 'Nina', role: 'nurse', passwordHash });
    createAccount(store, { username: 'aud', displayName: 'Ada', role: 'auditor', passwordHash });
  });
  const nurse = ws.signInLocal('nurse', 'http');
  const ctx = { sessionToken: nurse, transport: 'http' as const };
  const p = await ws.call(ctx, 'patients.create', { mrn: 'PRIV-1', ...NAME });
  const d = await ws.call(ctx, 'recordings.import', {
    patientId: p.id,
    site: 'trachea',
    fileName: `${NAME.familyName}.wav`,
    wavBase64: wavBytes({ rate: 8000, seconds: 2 }).toString('base64'),
  });
  await ws.call(ctx, 'patients.search', { query: NAME.familyName });
  return { patientId: p.id, recordingId: d.recording.id, nurse };
}

test('file modes: database, WAL/SHM, recordings, in-progress capture + sidecar, exports, backups (copy and archive), a restored folder, logs are 0600 in 0700 folders', async () => {
  const dataDir = scratchDir('auscult-modes-');
  const dbPath = join(dataDir, 'auscult.sqlite');
  const ws = await Workstation.open({ dbPath, dataDir, engine: null });
  try {
    await populated(ws);
    const aud = { sessionToken: ws.signInLocal('aud', 'http'), transport: 'http' as const };
    let job = await ws.call(aud, 'exports.start', { kind: 'audit-history', scope: {} });
    while (job.state === 'running') {
      await new Promise((r) => setTimeout(r, 20));
      job = await ws.call(aud, 'exports.status', { jobId: job.id });
    }
    assert.equal(job.state, 'done');
    ws.internals.store.backup(join(dataDir, 'backup.sqlite'));
    // The one-archive backup and a folder restored from it.
    const archive = join(dataDir, 'history.zip');
    await writeBackupArchive({
      store: ws.internals.store,
      key: null,
      recordingsDir: join(dataDir, 'recordings'),
      encryptionFile: null,
      destination: archive,
    });
    await restoreBackupArchive(archive, join(dataDir, 'restored'));
    // A capture in progress: its WAV and its recovery sidecar (the folder as the capture controller makes it).
    mkdirSync(ws.internals.inProgressDir, { recursive: true, mode: 0o700 });
    const w = await WavStreamWriter.create(join(ws.internals.inProgressDir, 'live.wav'), { sampleRate: 8000 });
    w.write(new Int16Array(800));
    await w.flush();
    writeRecoveryMeta(join(ws.internals.inProgressDir, 'live.wav'), {
      captureId: 'c',
      startedAt: new Date().toISOString(),
      patientId: 1,
      site: 'trachea',
      deviceName: 'stetho',
      sampleRate: 8000,
      startedBy: 'nurse',
    });
    createFileLog({ dir: join(dataDir, 'logs') }).info('a line');
    const all = walk(dataDir);
    assert.ok(all.some((f) => f.path.endsWith('-wal')) && all.some((f) => f.path.includes('/recordings/')));
    for (const want of ['history.zip', 'restored/auscult.sqlite', 'restored/recordings', 'in-progress/live.json'])
      assert.ok(
        all.some((f) => f.path === join(dataDir, want)),
        `${want} was written`,
      );
    for (const f of all) {
      const mode = statSync(f.path).mode & 0o777;
      assert.equal(mode, f.dir ? 0o700 : 0o600, `${f.path} is ${mode.toString(8)}`);
    }
  } finally {
    await ws.close();
  }
});

test('encrypted at rest: no patient name in strings of the database and recordings, audio not WAV; the app, check and recovery work', async () => {
  const dataDir = scratchDir('auscult-enc-');
  const keyFile = join(scratchDir('auscult-key-'), 'auscult.key');
  const dbPath = join(dataDir, 'auscult.sqlite');
  initEncryption(dataDir, dbPath, { keyFile, create: true });
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.equal(statSync(join(dataDir, 'encryption.json')).mode & 0o777, 0o600);
  // Without the key nothing opens, with a sentence.
  await rejectsWith(
    Workstation.open({ dbPath, dataDir, engine: null }),
    'STORAGE',
    /--key-file <file> or AUSCULT_KEY_FILE/,
  );
  const ws = await Workstation.open({ dbPath, dataDir, engine: null, keyFile });
  let ids: Awaited<ReturnType<typeof populated>>;
  try {
    ids = await populated(ws);
    const ctx = { sessionToken: ids.nurse, transport: 'http' as const };
    // The app reads it back: the patient, the audio as a real WAV.
    assert.equal((await ws.call(ctx, 'patients.get', { id: ids.patientId })).patient.familyName, NAME.familyName);
    const audio = await ws.call(ctx, 'recordings.audio', { id: ids.recordingId });
    assert.equal(decodeWav(Buffer.from(audio.base64, 'base64')).samples.length, 16000);
    const status = await ws.call(ctx, 'system.status', {});
    assert.equal(status.detail?.encryptedAtRest, true);

    // An interrupted capture, sealed, cut off without its final record: recovered with every chunk.
    const inProgress = ws.internals.inProgressDir;
    const wavPath = join(inProgress, 'cut.wav');
    mkdirSync(inProgress, { recursive: true, mode: 0o700 });
    const w = await WavStreamWriter.create(wavPath, { sampleRate: 8000, seal: ws.internals.atRest });
    w.write(Int16Array.from({ length: 16000 }, (_, i) => Math.round(8000 * Math.sin(i / 5))));
    await w.flush(); // on disk; no close: the process "died" here
    writeRecoveryMeta(wavPath, {
      captureId: 'c',
      startedAt: new Date().toISOString(),
      patientId: ids.patientId,
      site: 'trachea',
      deviceName: 'stetho',
      sampleRate: 8000,
      startedBy: 'nurse',
    });
    const pending = await ws.call(ctx, 'recordings.pendingRecovery', {});
    assert.deepEqual(
      pending.map((p) => [p.path, p.durationSec]),
      [['cut.wav', 2]],
    );
    const recovered = await ws.call(ctx, 'recordings.recover', {
      path: 'cut.wav',
      patientId: ids.patientId,
      site: 'trachea',
    });
    assert.equal(recovered.recording.durationSec, 2);
    const back = await ws.call(ctx, 'recordings.audio', { id: recovered.recording.id });
    assert.equal(decodeWav(Buffer.from(back.base64, 'base64')).samples.length, 16000);
  } finally {
    await ws.close();
  }

  // strings(1) of the database (with its WAL) and of every recording: no name, no WAV.
  const files = walk(dataDir).filter(
    (f) => !f.dir && (f.path.startsWith(dbPath) || f.path.includes('/recordings/') || f.path.includes('/in-progress/')),
  );
  assert.ok(files.length >= 3);
  for (const f of files) {
    const text = spawnSync('strings', ['-a', '-n', '4', f.path], { encoding: 'utf8' }).stdout;
    for (const part of [NAME.givenName, NAME.familyName, 'PRIV-1'])
      assert.ok(!text.includes(part), `${f.path} shows '${part}'`);
    const raw = readFileSync(f.path);
    assert.ok(!raw.includes(Buffer.from(NAME.familyName, 'utf16le')), `${f.path}: name in UTF-16`);
    if (f.path.includes('/recordings/')) {
      assert.ok(!raw.subarray(0, 4).equals(Buffer.from('RIFF')), `${f.path} starts as a WAV`);
      assert.throws(() => decodeWav(raw), AudioFileError);
    }
  }
  // A reader without the key sees no database.
  assert.throws(
    () => Store.open(dbPath, { readonly: true }),
    (e: unknown) => e instanceof StoreError && e.code === 'CORRUPT',
  );

  // auscult check --files verifies it with the key, and says what to do without.
  const check = (env: Record<string, string>) =>
    spawnSync(process.execPath, [...cliArgs(), 'check', '--db', dbPath, '--files'], {
      encoding: 'utf8',
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
  const good = check({ AUSCULT_KEY_FILE: keyFile });
  assert.equal(good.status, 0, good.stderr);
  assert.match(good.stdout, /OK: database intact .* 2 WAV files match their hashes/);
  const bad = check({});
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /encrypted: give its key file with --key-file <file> or AUSCULT_KEY_FILE/);
});

test('database ciphers: a new folder’s database is AEGIS-256 (named in encryption.json); a folder made before, on ChaCha20, still opens', async () => {
  // New: encryption.json names aegis, and the key without that cipher does not open the file.
  const dataDir = scratchDir('auscult-cipher-new-');
  const keyFile = join(scratchDir('auscult-cipher-key-'), 'auscult.key');
  const dbPath = join(dataDir, 'auscult.sqlite');
  const { key } = initEncryption(dataDir, dbPath, { keyFile, create: true });
  assert.equal(key.databaseCipher, 'aegis');
  assert.equal(
    (JSON.parse(readFileSync(join(dataDir, 'encryption.json'), 'utf8')) as { databaseCipher: string }).databaseCipher,
    'aegis',
  );
  const ws = await Workstation.open({ dbPath, dataDir, engine: null, keyFile });
  await populated(ws);
  await ws.close();
  assert.throws(
    () =>
      Store.open(dbPath, { readonly: true, key: { master: key.master, keyId: key.keyId, databaseCipher: 'chacha20' } }),
    (e: unknown) => e instanceof StoreError && e.code === 'CORRUPT',
  );

  // Before: a ChaCha20 database and an encryption.json without the field, as folders made so far.
  const oldDir = scratchDir('auscult-cipher-old-');
  const oldKeyFile = join(scratchDir('auscult-cipher-oldkey-'), 'auscult.key');
  const oldKey = createKeyFile(oldKeyFile);
  writeFileSync(
    join(oldDir, 'encryption.json'),
    JSON.stringify({ format: 'auscult-encryption', version: 1, keySource: 'key-file', keyId: oldKey.keyId }),
    { mode: 0o600 },
  );
  const oldDb = join(oldDir, 'auscult.sqlite');
  Store.open(oldDb, { key: oldKey }).close(); // no cipher named: ChaCha20, the default
  const reopened = await Workstation.open({ dbPath: oldDb, dataDir: oldDir, engine: null, keyFile: oldKeyFile });
  await populated(reopened);
  await reopened.close();
  const check = spawnSync(process.execPath, [...cliArgs(), 'check', '--db', oldDb, '--files'], {
    encoding: 'utf8',
    cwd: PROJECT_ROOT,
    env: { ...process.env, AUSCULT_KEY_FILE: oldKeyFile },
    timeout: 60_000,
  });
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /OK: database intact .* 1 WAV files match/);
});
