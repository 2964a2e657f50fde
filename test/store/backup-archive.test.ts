/**
 * The one-archive backup on real files: `auscult backup --to` of a plain and of an encrypted data
 * folder (database snapshot + every recording, sealed ones still sealed, SHA-256 per member),
 * `auscult restore` into a new folder that passes `auscult check --files`, and the refusals —
 * a non-empty target, a truncated or damaged archive, members that escape (`../`, absolute), a
 * symbolic link, a foreign member — each with a sentence, leaving the target and its parent as
 * they were.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';
import { initEncryption } from '../../src/service/at-rest-keys.js';
import { Workstation } from '../../src/service/workstation.js';
import {
  BackupError,
  MANIFEST_NAME,
  hashPassword,
  restoreBackupArchive,
  verifyBackupArchive,
  writeBackupArchive,
  type BackupManifest,
} from '../../src/store/index.js';
import { PROJECT_ROOT, scratchDir } from '../support/paths.js';
import { mountSmallFs } from '../support/small-fs.js';
import { wavBytes } from '../service/helpers.js';

const NAME = { givenName: 'Wilhelmina', familyName: 'Backhouse' };

function cli(args: string[], env: Record<string, string> = {}) {
  const compiled = fileURLToPath(import.meta.url).includes(join(PROJECT_ROOT, 'dist'));
  const entry = compiled
    ? [join(PROJECT_ROOT, 'bin', 'auscult.js')]
    : ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts')];
  const r = spawnSync(process.execPath, [...entry, ...args], {
    encoding: 'utf8',
    cwd: PROJECT_ROOT,
    env: { ...process.env, AUSCULT_KEY_FILE: '', AUSCULT_PASSPHRASE: '', ...env },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A data folder with a patient and two imported recordings. */
async function populate(dataDir: string, keyFile?: string): Promise<void> {
  const dbPath = join(dataDir, 'auscult.sqlite');
  const ws = await Workstation.open({ dbPath, dataDir, engine: null, ...(keyFile ? { keyFile } : {}) });
  try {
    const store = ws.internals.store;
    const passwordHash = await hashPassword('correct horse battery');
    store.tx(() => store.users.create({ username: 'nurse', displayName: 'Nina', role: 'nurse', passwordHash }));
    const ctx = { sessionToken: ws.signInLocal('nurse', 'http'), transport: 'http' as const };
    const p = await ws.call(ctx, 'patients.create', { mrn: 'BAK-1', ...NAME });
    for (const seconds of [1, 2])
      await ws.call(ctx, 'recordings.import', {
        patientId: p.id,
        site: 'trachea',
        fileName: 'x.wav',
        wavBase64: wavBytes({ rate: 8000, seconds }).toString('base64'),
      });
  } finally {
    await ws.close();
  }
}

function listing(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

test('backup --to writes one archive of database and recordings; restore brings back a folder that passes check --files', async () => {
  const dataDir = scratchDir('auscult-bak-');
  await populate(dataDir);
  const out = scratchDir('auscult-bak-out-');
  const archive = join(out, 'history.zip');
  const b = cli(['backup', '--to', archive, '--data-dir', dataDir]);
  assert.equal(b.code, 0, b.err);
  assert.match(b.out, /and 2 recordings to .*every member matches its SHA-256/);
  assert.equal(statSync(archive).mode & 0o777, 0o600);
  assert.deepEqual(listing(out), ['history.zip'], 'no snapshot or partial file left beside the archive');

  const { manifest } = await verifyBackupArchive(archive);
  assert.equal(manifest.recordings, 2);
  assert.equal(manifest.encrypted, false);
  assert.deepEqual(
    manifest.members.map((m) => m.path.replace(/recordings\/.*/, 'recordings/*')),
    ['auscult.sqlite', 'recordings/*', 'recordings/*'],
  );
  // The manifest's hash of a recording is the stored file's.
  const rec = manifest.members[1]!;
  assert.equal(
    createHash('sha256')
      .update(readFileSync(join(dataDir, rec.path)))
      .digest('hex'),
    rec.sha256,
  );

  // A second backup to the same name is refused unless --force.
  const again = cli(['backup', '--to', archive, '--data-dir', dataDir]);
  assert.equal(again.code, 1);
  assert.match(again.err, /exists; choose a new file name or pass --force/);

  const target = join(out, 'restored');
  const r = cli(['restore', '--from', archive, '--to', target]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Restored 2 recordings .* every member matched its SHA-256/);
  assert.match(r.out, /Database intact .* audit chain of \d+ entries verified/);
  assert.equal(statSync(target).mode & 0o777, 0o700);
  for (const f of ['auscult.sqlite', ...readdirSync(join(target, 'recordings')).map((n) => `recordings/${n}`)])
    assert.equal(statSync(join(target, f)).mode & 0o777, 0o600, f);
  const check = cli(['check', '--db', join(target, 'auscult.sqlite'), '--files']);
  assert.equal(check.code, 0, check.err);
  assert.match(check.out, /OK: database intact .* 2 WAV files match their hashes/);

  // Into a folder that is not empty: refused, and the folder keeps what it had.
  const busy = join(out, 'busy');
  mkdirSync(busy);
  writeFileSync(join(busy, 'keep.txt'), 'mine');
  const refused = cli(['restore', '--from', archive, '--to', busy]);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /is not empty \(1 entry\); restore into a new or empty folder .* Nothing was written\./);
  assert.deepEqual(listing(busy), ['keep.txt']);
  // An empty existing folder is fine.
  const empty = join(out, 'empty');
  mkdirSync(empty);
  await restoreBackupArchive(archive, empty);
  assert.deepEqual(listing(empty), ['auscult.sqlite', 'recordings']);
});

test('an encrypted folder: the archive keeps database and recordings encrypted; restore and check --files work with the key', async () => {
  const dataDir = scratchDir('auscult-bak-enc-');
  const keyFile = join(scratchDir('auscult-bak-key-'), 'auscult.key');
  initEncryption(dataDir, join(dataDir, 'auscult.sqlite'), { keyFile, create: true });
  await populate(dataDir, keyFile);
  const out = scratchDir('auscult-bak-enc-out-');
  const archive = join(out, 'history.zip');
  const noKey = cli(['backup', '--to', archive, '--data-dir', dataDir]);
  assert.equal(noKey.code, 1);
  assert.match(noKey.err, /encrypted: give its key file with --key-file <file> or AUSCULT_KEY_FILE/);
  assert.ok(!existsSync(archive));

  const b = cli(['backup', '--to', archive, '--data-dir', dataDir, '--key-file', keyFile]);
  assert.equal(b.code, 0, b.err);
  assert.match(b.out, /encrypted at rest under the folder’s key/);
  const { manifest } = await verifyBackupArchive(archive);
  assert.equal(manifest.encrypted, true);
  assert.deepEqual(manifest.members.map((m) => m.path).slice(0, 2), ['auscult.sqlite', 'encryption.json']);
  // No name, no MRN, no WAV anywhere in the archive.
  const text = spawnSync('strings', ['-a', '-n', '4', archive], { encoding: 'utf8' }).stdout;
  for (const part of [NAME.givenName, NAME.familyName, 'BAK-1', 'RIFF', 'WAVEfmt'])
    assert.ok(!text.includes(part), `the archive shows '${part}'`);

  const target = join(out, 'restored');
  const withoutKey = cli(['restore', '--from', archive, '--to', target]);
  assert.equal(withoutKey.code, 0, withoutKey.err);
  assert.match(withoutKey.out, /note: the restored database was not opened here .*AUSCULT_KEY_FILE/);
  const badCheck = cli(['check', '--db', join(target, 'auscult.sqlite'), '--files']);
  assert.equal(badCheck.code, 1);
  const check = cli(['check', '--db', join(target, 'auscult.sqlite'), '--files'], { AUSCULT_KEY_FILE: keyFile });
  assert.equal(check.code, 0, check.err);
  assert.match(check.out, /OK: database intact .* 2 WAV files match their hashes/);

  const target2 = join(out, 'restored-with-key');
  const withKey = cli(['restore', '--from', archive, '--to', target2, '--key-file', keyFile]);
  assert.equal(withKey.code, 0, withKey.err);
  assert.match(withKey.out, /Database intact/);
});

/** A crafted archive: members as given plus a manifest with their true hashes (unless `manifest` overrides). */
async function craft(
  file: string,
  members: { name: string; data: Buffer; mode?: number }[],
  manifest?: (m: BackupManifest) => BackupManifest,
): Promise<void> {
  const zip = new yazl.ZipFile();
  const m: BackupManifest = {
    format: 'auscult-backup',
    version: 1,
    createdAt: new Date(0).toISOString(),
    schemaVersion: 3,
    encrypted: false,
    keyId: null,
    recordings: members.filter((x) => x.name.startsWith('recordings/')).length,
    members: members.map((x) => ({
      path: x.name,
      size: x.data.length,
      sha256: createHash('sha256').update(x.data).digest('hex'),
    })),
  };
  for (const x of members) zip.addBuffer(x.data, x.name, { compress: false, mode: x.mode ?? 0o100600 });
  zip.addBuffer(Buffer.from(JSON.stringify(manifest ? manifest(m) : m)), MANIFEST_NAME, { compress: false });
  zip.end();
  await new Promise<void>((resolve, reject) =>
    zip.outputStream.pipe(createWriteStream(file)).on('finish', resolve).on('error', reject),
  );
}

/** Rename a member inside the archive's bytes (local header and central directory), same length. */
function renameMember(file: string, from: string, to: string): void {
  assert.equal(from.length, to.length);
  const raw = readFileSync(file);
  const a = Buffer.from(from);
  let n = 0;
  for (let i = raw.indexOf(a); i >= 0; i = raw.indexOf(a, i + 1)) {
    Buffer.from(to).copy(raw, i);
    n++;
  }
  assert.ok(n >= 2, 'the name is in the local header and the central directory (and the manifest)');
  writeFileSync(file, raw);
}

test('restore refuses damaged, truncated and hostile archives with a sentence and writes nothing', async () => {
  const dir = scratchDir('auscult-bak-attack-');
  const db = Buffer.from('SQLite format 3\0' + 'x'.repeat(100));
  const wav = wavBytes({ rate: 8000, seconds: 1 });
  const good = join(dir, 'good.zip');
  await craft(good, [
    { name: 'auscult.sqlite', data: db },
    { name: 'recordings/a.wav', data: wav },
  ]);
  await verifyBackupArchive(good);

  const cases: { name: string; make: (f: string) => Promise<void>; expect: RegExp }[] = [
    {
      name: 'truncated',
      make: async (f) => writeFileSync(f, readFileSync(good).subarray(0, Math.floor(statSync(good).size * 0.6))),
      expect: /is not a complete Auscult backup .* damaged, truncated or not a backup\. Nothing was written\./,
    },
    {
      name: 'a flipped byte in a recording',
      make: async (f) => {
        const raw = readFileSync(good);
        const at = raw.indexOf(Buffer.from('data')) + 40; // inside the WAV's samples
        raw[at] = (raw[at] ?? 0) ^ 0xff;
        writeFileSync(f, raw);
      },
      expect: /recordings\/a\.wav does not match its SHA-256 in the manifest/,
    },
    {
      name: '../ member',
      make: async (f) => {
        await craft(f, [
          { name: 'auscult.sqlite', data: db },
          { name: 'xx/evil.wav', data: wav },
        ]);
        renameMember(f, 'xx/evil.wav', '../evil.wav');
      },
      expect: /holds a member '\.\.\/evil\.wav' that points outside the folder being restored/,
    },
    {
      name: 'absolute member',
      make: async (f) => {
        await craft(f, [
          { name: 'auscult.sqlite', data: db },
          { name: 'Xtmp/evil.wav', data: wav },
        ]);
        renameMember(f, 'Xtmp/evil.wav', '/tmp/evil.wav');
      },
      expect: /holds a member '\/tmp\/evil\.wav' that points outside the folder being restored/,
    },
    {
      name: 'symbolic link',
      make: (f) =>
        craft(f, [
          { name: 'auscult.sqlite', data: db },
          { name: 'recordings/a.wav', data: Buffer.from('/etc/passwd'), mode: 0o120777 },
        ]),
      expect: /holds a member 'recordings\/a\.wav' that is a symbolic link/,
    },
    {
      name: 'foreign member',
      make: (f) =>
        craft(f, [
          { name: 'auscult.sqlite', data: db },
          { name: 'recordings/sub/a.wav', data: wav },
        ]),
      expect: /'recordings\/sub\/a\.wav' that is not a database, encryption description or recording file/,
    },
    {
      name: 'member not in the manifest',
      make: (f) =>
        craft(
          f,
          [
            { name: 'auscult.sqlite', data: db },
            { name: 'recordings/a.wav', data: wav },
          ],
          (m) => ({ ...m, recordings: 0, members: m.members.slice(0, 1) }),
        ),
      expect: /recordings\/a\.wav is not listed in its manifest/,
    },
    {
      name: 'no manifest',
      make: async (f) => {
        const zip = new yazl.ZipFile();
        zip.addBuffer(db, 'auscult.sqlite');
        zip.end();
        await new Promise<void>((resolve) => zip.outputStream.pipe(createWriteStream(f)).on('finish', () => resolve()));
      },
      expect: /has no auscult-backup\.json/,
    },
    {
      name: 'not a ZIP',
      make: async (f) => writeFileSync(f, 'just some text\n'),
      expect: /is not a complete Auscult backup/,
    },
  ];
  for (const c of cases) {
    const file = join(dir, `${c.name.replace(/\W+/g, '-')}.zip`);
    await c.make(file);
    const parent = scratchDir('auscult-bak-target-');
    const target = join(parent, 'restored');
    await assert.rejects(
      restoreBackupArchive(file, target),
      (e: unknown) => e instanceof BackupError && c.expect.test(e.message),
      c.name,
    );
    assert.deepEqual(listing(parent), [], `${c.name}: nothing written beside the target`);
    assert.ok(!existsSync(join(dir, '..', 'evil.wav')) && !existsSync('/tmp/evil.wav'), `${c.name}: no escape`);
  }

  // The command line says the same sentence and exits 1.
  const r = cli(['restore', '--from', join(dir, 'truncated.zip'), '--to', join(dir, 'never')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^auscult restore: .*truncated\.zip is not a complete Auscult backup/);
  assert.ok(!existsSync(join(dir, 'never')));
});

test('restore into a folder on a disk without room for the archive: refused with a sentence, nothing written', async (t) => {
  const fs = mountSmallFs(t, 8 * 1024 * 1024);
  if (!fs) return;
  try {
    const dir = scratchDir('auscult-bak-space-');
    const archive = join(dir, 'big.zip');
    await craft(archive, [
      { name: 'auscult.sqlite', data: Buffer.from('SQLite format 3\0' + 'x'.repeat(100)) },
      { name: 'recordings/a.wav', data: wavBytes({ rate: 8000, seconds: 400 }) }, // 6.4 MB
    ]);
    await assert.rejects(
      restoreBackupArchive(archive, join(fs.dir, 'restored')),
      (e: unknown) =>
        e instanceof BackupError &&
        e.code === 'NO_SPACE' &&
        /The backup needs 6\.\d MiB and .* MiB free; free some space first\. Nothing was written\./.test(e.message),
    );
    assert.deepEqual(listing(fs.dir), []);
  } finally {
    fs.unmount();
  }
});

test('a backup taken while a recording is imported holds exactly its snapshot’s recordings, and its restore checks clean', async () => {
  const dataDir = scratchDir('auscult-bak-live-');
  await populate(dataDir);
  const dbPath = join(dataDir, 'auscult.sqlite');
  const ws = await Workstation.open({ dbPath, dataDir, engine: null });
  const out = scratchDir('auscult-bak-live-out-');
  const archive = join(out, 'live.zip');
  let manifest: BackupManifest | undefined;
  try {
    const ctx = { sessionToken: ws.signInLocal('nurse', 'http'), transport: 'http' as const };
    const backup = writeBackupArchive({
      store: ws.internals.store,
      key: null,
      recordingsDir: join(dataDir, 'recordings'),
      encryptionFile: null,
      destination: archive,
    });
    // Meanwhile another import: before or after the snapshot (the event loop decides), the archive
    // must hold the files of the rows it holds, no more and no fewer.
    await ws.call(ctx, 'recordings.import', {
      patientId: 1,
      site: 'trachea',
      fileName: 'late.wav',
      wavBase64: wavBytes({ rate: 8000, seconds: 3 }).toString('base64'),
    });
    ({ manifest } = await backup);
    assert.ok([2, 3].includes(manifest.recordings), `${manifest.recordings} recordings`);
    assert.equal(readdirSync(join(dataDir, 'recordings')).length, 3);
  } finally {
    await ws.close();
  }
  const target = join(out, 'restored');
  await restoreBackupArchive(archive, target);
  const check = cli(['check', '--db', join(target, 'auscult.sqlite'), '--files']);
  assert.equal(check.code, 0, check.err);
  assert.match(check.out, new RegExp(`${manifest?.recordings ?? -1} WAV files match their hashes`));
  assert.doesNotMatch(check.out, /belong to no recording/);
});
