/**
 * Restore a one-archive backup (format: backup-format.ts) into a new or empty folder.
 *
 * Nothing is written until the whole archive has been read and every member matched the size
 * and SHA-256 its manifest lists (first pass, reads only). The second pass copies the members
 * into a private folder beside the target, checking each hash again (the archive could have
 * changed in between), fsyncs them, and only then renames that folder into place. Any refusal
 * is one sentence, and leaves the target as it was. Streaming: memory does not grow with the
 * archive (the manifest alone is read whole, and it is bounded).
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readdir, rename, rm, rmdir, statfs } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import {
  BackupError,
  DATABASE_MEMBER,
  MANIFEST_MAX_BYTES,
  MANIFEST_NAME,
  RECORDINGS_PREFIX,
  isDataMemberPath,
  parseManifest,
  type BackupManifest,
} from './backup-format.js';

export interface RestoreResult {
  manifest: BackupManifest;
  target: string;
  bytes: number;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

function damaged(archive: string, why: string): BackupError {
  return new BackupError(
    'DAMAGED',
    `${archive} is not a complete Auscult backup (${why}): it is damaged, truncated or not a backup. Nothing was written.`,
  );
}

function unsafe(archive: string, name: string, why: string): BackupError {
  return new BackupError(
    'UNSAFE_MEMBER',
    `${archive} holds a member '${name}' that ${why}; it was not made by auscult backup and is refused. Nothing was written.`,
  );
}

/** The unix file type bits of an entry, when a unix tool made it (0 otherwise). */
function unixType(entry: yauzl.Entry): number {
  return entry.versionMadeBy >> 8 === 3 ? (entry.externalFileAttributes >>> 16) & S_IFMT : 0;
}

/**
 * Any failure as one sentence: the file system's (disk full, no permission) as what it is, and
 * yauzl's — its refusals of a name are about where it points — in our words.
 */
function translate(archive: string, err: unknown): BackupError {
  if (err instanceof BackupError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new BackupError(
      'NO_SPACE',
      'The disk is full: the restore stopped, and what it had copied was removed (the target is as it was). Free some space, then try again.',
    );
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
    return new BackupError('IO', `The restore stopped (${msg}); nothing was left behind and the target is as it was.`);
  const name = /^(?:absolute path|invalid relative path|invalid characters in fileName): (.*)$/.exec(msg);
  if (name) return unsafe(archive, name[1] ?? '', 'points outside the folder being restored');
  return damaged(archive, msg);
}

async function openZip(archive: string): Promise<yauzl.ZipFile> {
  try {
    return await yauzl.openPromise(archive, {
      lazyEntries: true,
      autoClose: false,
      strictFileNames: true,
      validateEntrySizes: true,
    });
  } catch (err) {
    throw translate(archive, err);
  }
}

/** Check one entry's kind and name; returns its member path. */
function checkEntry(archive: string, entry: yauzl.Entry, seen: Set<string>): string {
  const name = entry.fileName;
  const type = unixType(entry);
  if (type === 0o120000) throw unsafe(archive, name, 'is a symbolic link');
  if (name.endsWith('/') || (type !== 0 && type !== S_IFREG)) throw unsafe(archive, name, 'is not a plain file');
  if (name !== MANIFEST_NAME && !isDataMemberPath(name))
    throw unsafe(archive, name, 'is not a database, encryption description or recording file');
  if (entry.isEncrypted()) throw unsafe(archive, name, 'is ZIP-encrypted');
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
    throw damaged(archive, `${name} uses compression method ${entry.compressionMethod}`);
  if (seen.has(name)) throw damaged(archive, `${name} appears twice`);
  seen.add(name);
  return name;
}

async function entryStream(zip: yauzl.ZipFile, archive: string, entry: yauzl.Entry): Promise<Readable> {
  try {
    return await zip.openReadStreamPromise(entry);
  } catch (err) {
    throw translate(archive, err);
  }
}

/** A pass-through that hashes and counts what flows through it. */
function hasher(): Transform & { digest(): { sha256: string; size: number } } {
  const hash = createHash('sha256');
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, next) {
      hash.update(chunk);
      size += chunk.length;
      next(null, chunk);
    },
  });
  return Object.assign(t, { digest: () => ({ sha256: hash.digest('hex'), size }) });
}

function sink(): Writable {
  return new Writable({
    write(_chunk, _enc, next) {
      next();
    },
  });
}

async function readManifest(zip: yauzl.ZipFile, archive: string, entry: yauzl.Entry): Promise<BackupManifest> {
  if (entry.uncompressedSize > MANIFEST_MAX_BYTES) throw damaged(archive, 'its manifest is too large');
  const chunks: Buffer[] = [];
  const stream = await entryStream(zip, archive, entry);
  try {
    for await (const c of stream) chunks.push(c as Buffer);
  } catch (err) {
    throw translate(archive, err);
  }
  const manifest = parseManifest(Buffer.concat(chunks));
  if (!manifest) throw damaged(archive, `its ${MANIFEST_NAME} is not an Auscult backup manifest`);
  for (const m of manifest.members)
    if (!isDataMemberPath(m.path)) throw unsafe(archive, m.path, 'the manifest lists but no backup holds');
  return manifest;
}

/**
 * The first pass: read every member, hash it, and compare with the manifest. Writes nothing.
 * Returns the manifest and the total size of the members.
 */
export async function verifyBackupArchive(archivePath: string): Promise<{ manifest: BackupManifest; bytes: number }> {
  const archive = resolve(archivePath);
  const st = await lstat(archive).catch(() => null);
  if (!st) throw new BackupError('TARGET_INVALID', `${archive} does not exist; give the backup file with --from.`);
  const zip = await openZip(archive);
  try {
    const seen = new Set<string>();
    const found = new Map<string, { sha256: string; size: number }>();
    let manifest: BackupManifest | null = null;
    try {
      for await (const entry of zip.eachEntry()) {
        const name = checkEntry(archive, entry, seen);
        if (name === MANIFEST_NAME) {
          manifest = await readManifest(zip, archive, entry);
          continue;
        }
        const h = hasher();
        await pipeline(await entryStream(zip, archive, entry), h, sink());
        found.set(name, h.digest());
      }
    } catch (err) {
      throw translate(archive, err);
    }
    if (!manifest) throw damaged(archive, `it has no ${MANIFEST_NAME}`);
    const listed = new Set(manifest.members.map((m) => m.path));
    if (listed.size !== manifest.members.length) throw damaged(archive, 'its manifest lists a member twice');
    if (!listed.has(DATABASE_MEMBER)) throw damaged(archive, 'it holds no database');
    for (const name of found.keys())
      if (!listed.has(name)) throw damaged(archive, `${name} is not listed in its manifest`);
    let bytes = 0;
    for (const m of manifest.members) {
      const f = found.get(m.path);
      if (!f) throw damaged(archive, `${m.path} is missing`);
      if (f.size !== m.size || f.sha256 !== m.sha256)
        throw damaged(archive, `${m.path} does not match its SHA-256 in the manifest`);
      bytes += m.size;
    }
    const recordings = manifest.members.filter((m) => m.path.startsWith(RECORDINGS_PREFIX)).length;
    if (recordings !== manifest.recordings)
      throw damaged(archive, `it holds ${recordings} recording files, its manifest says ${manifest.recordings}`);
    return { manifest, bytes };
  } finally {
    zip.close();
  }
}

/** The target must be absent (its parent a folder) or an empty folder, and never a link. */
async function checkTarget(target: string): Promise<{ exists: boolean }> {
  const st = await lstat(target).catch(() => null);
  if (st) {
    if (st.isSymbolicLink())
      throw new BackupError('TARGET_INVALID', `${target} is a symbolic link; restore into a real, empty folder.`);
    if (!st.isDirectory())
      throw new BackupError('TARGET_INVALID', `${target} is a file, not a folder; restore into a new or empty folder.`);
    const names = await readdir(target);
    if (names.length)
      throw new BackupError(
        'TARGET_NOT_EMPTY',
        `${target} is not empty (${names.length} entr${names.length === 1 ? 'y' : 'ies'}); restore into a new or empty folder so nothing is overwritten. Nothing was written.`,
      );
    return { exists: true };
  }
  const parent = await lstat(dirname(target)).catch(() => null);
  if (!parent?.isDirectory())
    throw new BackupError('TARGET_INVALID', `The folder ${dirname(target)} does not exist; create it first.`);
  return { exists: false };
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Verify `archivePath` completely, then restore it into `targetDir` (absent or an empty folder).
 * The manifest itself is not restored: it describes the archive, not the data folder.
 */
export async function restoreBackupArchive(archivePath: string, targetDir: string): Promise<RestoreResult> {
  const archive = resolve(archivePath);
  const target = resolve(targetDir);
  await checkTarget(target);
  const { manifest, bytes } = await verifyBackupArchive(archive);
  const fs = await statfs(dirname(target));
  const free = fs.bavail * fs.bsize;
  if (free < bytes + 16 * 1024 * 1024)
    throw new BackupError(
      'NO_SPACE',
      `The backup needs ${(bytes / 2 ** 20).toFixed(1)} MiB and ${dirname(target)} has ${(free / 2 ** 20).toFixed(1)} MiB free; free some space first. Nothing was written.`,
    );
  const expected = new Map(manifest.members.map((m) => [m.path, m]));

  // Second pass, into a private folder beside the target (same filesystem, so the rename is atomic).
  const staging = await mkdtemp(join(dirname(target), `.${basename(target)}.restoring-`));
  let placed = false;
  try {
    await mkdir(join(staging, 'recordings'), { mode: 0o700 });
    const zip = await openZip(archive);
    try {
      const seen = new Set<string>();
      for await (const entry of zip.eachEntry()) {
        const name = checkEntry(archive, entry, seen);
        if (name === MANIFEST_NAME) continue;
        const want = expected.get(name);
        if (!want) throw damaged(archive, `${name} changed while it was being restored`);
        // `wx`: never follows or replaces anything (the folder is new and ours anyway).
        // `wx`: never follows or replaces anything (the folder is new and ours anyway); flush: fsync.
        const h = hasher();
        await pipeline(
          await entryStream(zip, archive, entry),
          h,
          createWriteStream(join(staging, ...name.split('/')), { flags: 'wx', mode: 0o600, flush: true }),
        );
        const got = h.digest();
        if (got.sha256 !== want.sha256 || got.size !== want.size)
          throw damaged(archive, `${name} changed while it was being restored`);
        expected.delete(name);
      }
    } catch (err) {
      throw translate(archive, err);
    } finally {
      zip.close();
    }
    if (expected.size)
      throw damaged(archive, `${[...expected.keys()][0] ?? ''} disappeared while it was being restored`);
    await fsyncPath(join(staging, 'recordings'));
    await fsyncPath(staging);
    await checkTarget(target); // still absent or empty
    // POSIX rename replaces an empty folder; elsewhere remove the empty one first.
    try {
      await rename(staging, target);
    } catch {
      await rmdir(target);
      await rename(staging, target);
    }
    placed = true;
    await fsyncPath(dirname(target));
  } finally {
    if (!placed) await rm(staging, { recursive: true, force: true });
  }
  return { manifest, target, bytes };
}
