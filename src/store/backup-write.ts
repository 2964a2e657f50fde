/**
 * Write the one-archive backup (format: backup-format.ts). Consistent while the workstation keeps
 * running: the database is one `VACUUM INTO` snapshot, and the recordings are the files *that
 * snapshot* names (stored files are written before their row commits and never change after), so
 * a recording imported during the backup is in neither. Streaming throughout: each member is read
 * once, hashed on its way into the archive, and never held in memory (a 2 GB history costs a few
 * buffers). The archive appears under its name only when complete and fsynced.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import type { AtRestKey } from '../common/at-rest.js';
import {
  BackupError,
  DATABASE_MEMBER,
  ENCRYPTION_MEMBER,
  MANIFEST_NAME,
  RECORDINGS_PREFIX,
  isRecordingFileName,
  type BackupManifest,
  type BackupMember,
} from './backup-format.js';
import { Store } from './store.js';

export interface BackupOptions {
  store: Pick<Store, 'backup'>;
  /** The key the store was opened with (to read the encrypted snapshot back), or null. */
  key: AtRestKey | null;
  recordingsDir: string;
  /** The data folder's encryption.json, when encrypted. */
  encryptionFile: string | null;
  destination: string;
  /** Replace an existing archive (atomically, only once the new one is complete). */
  replace?: boolean;
}

export interface BackupResult {
  manifest: BackupManifest;
  bytes: number;
}

/** A member of the archive-to-be: where its bytes are, and what they turned out to be. */
interface PendingMember {
  path: string;
  source: string;
  size: number;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function writeBackupArchive(o: BackupOptions): Promise<BackupResult> {
  const destination = o.destination;
  const exists = await stat(destination).then(
    () => true,
    () => false,
  );
  if (exists && !o.replace)
    throw new BackupError(
      'EXISTS',
      `${destination} exists; choose a new file name or pass --force. Nothing was written.`,
    );
  // The snapshot is made beside the archive (same filesystem, private folder), and removed after.
  const work = await mkdtemp(join(dirname(destination), `.${basename(destination)}.`));
  // Written inside the private work folder, renamed into place only when complete and fsynced.
  const partial = join(work, 'archive.partial');
  try {
    const snapshot = join(work, DATABASE_MEMBER);
    o.store.backup(snapshot);
    const copy = Store.open(snapshot, { readonly: true, key: o.key });
    let fileNames: string[];
    let schemaVersion: number;
    try {
      const check = copy.integrityCheck();
      if (!check.ok)
        throw new BackupError(
          'SNAPSHOT_DAMAGED',
          `The database snapshot failed its integrity check (${check.integrity.slice(0, 3).join('; ')}); run auscult check. Nothing was written.`,
        );
      schemaVersion = copy.schemaVersion;
      fileNames = (copy.db.prepare('SELECT file_name FROM recordings ORDER BY id').pluck().all() as string[]).filter(
        (n, i, all) => all.indexOf(n) === i,
      );
    } finally {
      copy.close();
    }

    const pending: PendingMember[] = [{ path: DATABASE_MEMBER, source: snapshot, size: (await stat(snapshot)).size }];
    if (o.encryptionFile)
      pending.push({ path: ENCRYPTION_MEMBER, source: o.encryptionFile, size: (await stat(o.encryptionFile)).size });
    for (const name of fileNames) {
      if (!isRecordingFileName(name))
        throw new BackupError(
          'SNAPSHOT_DAMAGED',
          `The database names a recording file '${name}' that Auscult never writes; run auscult check --files. Nothing was written.`,
        );
      const source = join(o.recordingsDir, name);
      const st = await stat(source).catch(() => null);
      if (!st?.isFile())
        throw new BackupError(
          'MISSING_FILE',
          `The recording file ${name} is missing from ${o.recordingsDir}; run auscult check --files and restore it first. Nothing was written.`,
        );
      pending.push({ path: RECORDINGS_PREFIX + name, source, size: st.size });
    }

    const members: BackupMember[] = [];
    const zip = new yazl.ZipFile();
    const failed = new Promise<never>((_, reject) => zip.on('error', reject));
    const mtime = new Date();
    for (const m of pending) {
      // Lazily: one file open at a time, whatever the number of recordings.
      zip.addReadStreamLazy(m.path, { compress: false, size: m.size, mtime, mode: 0o100600 }, (cb) => {
        const hash = createHash('sha256');
        const through = new Transform({
          transform(chunk: Buffer, _enc, next) {
            hash.update(chunk);
            next(null, chunk);
          },
          flush(next) {
            members.push({ path: m.path, size: m.size, sha256: hash.digest('hex') });
            next();
          },
        });
        const src = createReadStream(m.source);
        src.on('error', (err) => through.destroy(err));
        through.on('error', (err) => zip.emit('error', err));
        cb(null, src.pipe(through));
      });
    }
    const manifest: BackupManifest = {
      format: 'auscult-backup',
      version: 1,
      createdAt: mtime.toISOString(),
      schemaVersion,
      encrypted: o.key !== null,
      keyId: o.key?.keyId ?? null,
      recordings: fileNames.length,
      members,
    };
    // Last, and lazily: by the time yazl asks for it every other member has been hashed.
    zip.addReadStreamLazy(MANIFEST_NAME, { compress: false, mtime, mode: 0o100600 }, (cb) => {
      cb(null, Readable.from([Buffer.from(JSON.stringify(manifest, null, 1) + '\n')]));
    });
    zip.end();

    // flush: fsync before the file is closed (the archive must be on disk before it gets its name).
    await Promise.race([
      pipeline(zip.outputStream, createWriteStream(partial, { flags: 'wx', mode: 0o600, flush: true })),
      failed,
    ]);
    if (members.length !== pending.length) throw new Error('the archive was cut short');
    const bytes = (await stat(partial)).size;
    await rename(partial, destination);
    await fsyncDir(dirname(destination));
    return { manifest, bytes };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
