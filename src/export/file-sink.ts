/**
 * Where every export byte goes: a file opened under a temporary name in the destination,
 * hashed (SHA-256) and counted as it is written, renamed to its final name only when
 * complete. Cancelling or failing removes the temp file, so no half-written file ever sits
 * under a final name. Small writes are batched into large ones (streaming: memory stays flat).
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { constants as fsc, promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { ExportError } from './errors.js';
import { childPath } from './safe-names.js';

export interface WrittenFile {
  name: string;
  path: string;
  bytes: number;
  sha256: string;
}

const FLUSH_BYTES = 1 << 18; // 256 KiB per write() call

export class FileSink {
  private parts: (string | Buffer)[] = [];
  private pending = 0;
  private bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private closed = false;

  private constructor(
    private readonly handle: fsp.FileHandle,
    readonly tempPath: string,
    readonly finalPath: string,
  ) {}

  /** Opens `<dir>/.<name>.<random>.partial` exclusively; `name` must already be safe. */
  static async open(dir: string, name: string): Promise<FileSink> {
    const finalPath = childPath(dir, name);
    const tempPath = childPath(dir, `.${name}.${randomBytes(4).toString('hex')}.partial`);
    try {
      const handle = await fsp.open(tempPath, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
      return new FileSink(handle, tempPath, finalPath);
    } catch (err) {
      throw destinationError(dir, err);
    }
  }

  get bytesWritten(): number {
    return this.bytes + this.pending;
  }

  /** Queues text (UTF-8) or bytes; returns a promise only when a flush happened (await it). */
  write(chunk: string | Buffer): Promise<void> | undefined {
    this.parts.push(chunk);
    this.pending += typeof chunk === 'string' ? chunk.length * 3 : chunk.length; // upper bound is enough to trigger flushes
    return this.pending >= FLUSH_BYTES ? this.flush() : undefined;
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const buf = this.parts.every((p) => typeof p === 'string')
      ? Buffer.from(this.parts.join(''), 'utf8')
      : Buffer.concat(this.parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
    this.parts = [];
    this.pending = 0;
    this.hash.update(buf);
    this.bytes += buf.length;
    let off = 0;
    while (off < buf.length) off += (await this.handle.write(buf, off, buf.length - off)).bytesWritten;
  }

  /** Flushes, fsyncs, closes and renames to the final name (never over an existing file). */
  async commit(): Promise<WrittenFile> {
    await this.flush();
    await this.handle.sync();
    await this.handle.close();
    this.closed = true;
    await renameNoClobber(this.tempPath, this.finalPath);
    return { name: basename(this.finalPath), path: this.finalPath, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Removes the temp file; safe to call twice or after a failure. */
  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.handle.close().catch(() => undefined);
    }
    await fsp.rm(this.tempPath, { force: true });
  }
}

/**
 * A folder export (audit history, FHIR bundles, PDFs ...): built as a hidden temp folder in
 * the destination and renamed to its final name in one step at the end.
 */
export class StagingFolder {
  private done = false;
  private constructor(
    readonly tempPath: string,
    readonly finalPath: string,
  ) {}

  static async create(destinationDir: string, name: string): Promise<StagingFolder> {
    const finalPath = childPath(destinationDir, name);
    await assertWritableDir(destinationDir);
    if (await exists(finalPath)) {
      throw new ExportError(
        'FILE_EXISTS',
        `"${finalPath}" already exists; choose another folder or remove it first. Nothing was written.`,
      );
    }
    const tempPath = childPath(destinationDir, `.${name}.${randomBytes(4).toString('hex')}.partial`);
    try {
      await fsp.mkdir(tempPath, { mode: 0o700 });
    } catch (err) {
      throw destinationError(destinationDir, err);
    }
    return new StagingFolder(tempPath, finalPath);
  }

  open(name: string): Promise<FileSink> {
    return FileSink.open(this.tempPath, name);
  }

  /** Renames the finished folder into place; returns the final path. */
  async commit(): Promise<string> {
    await renameNoClobber(this.tempPath, this.finalPath);
    this.done = true;
    return this.finalPath;
  }

  async abort(): Promise<void> {
    if (!this.done) await fsp.rm(this.tempPath, { recursive: true, force: true });
  }
}

/** The destination must be an existing, writable folder: we never create the user's folders. */
export async function assertWritableDir(dir: string): Promise<void> {
  try {
    const st = await fsp.stat(dir);
    if (!st.isDirectory())
      throw new ExportError('DESTINATION', `"${dir}" is not a folder. Choose a folder to export into.`);
    await fsp.access(dir, fsc.W_OK);
  } catch (err) {
    throw destinationError(dir, err);
  }
}

function destinationError(dir: string, err: unknown): ExportError {
  if (err instanceof ExportError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'does not exist'
      : code === 'EACCES' || code === 'EPERM'
        ? 'is not writable by this user'
        : code === 'ENOSPC'
          ? 'is full'
          : `cannot be written (${code ?? String(err)})`;
  return new ExportError(
    'DESTINATION',
    `The export folder "${dir}" ${why}. Choose another folder; nothing was written.`,
  );
}

async function exists(p: string): Promise<boolean> {
  return fsp.lstat(p).then(
    () => true,
    () => false,
  );
}

/** rename(2) replaces an existing file silently; check first (the window is ours alone). */
async function renameNoClobber(from: string, to: string): Promise<void> {
  if (await exists(to)) {
    throw new ExportError(
      'FILE_EXISTS',
      `"${to}" appeared while exporting; it was left untouched and the export was not saved. Export again.`,
    );
  }
  await fsp.rename(from, to);
}

/** Removes leftovers of exports killed mid-way (hidden `*.partial` entries) in a folder. */
export async function removeStalePartials(dir: string): Promise<number> {
  let n = 0;
  for (const e of await fsp.readdir(dir).catch(() => [] as string[])) {
    if (e.startsWith('.') && e.endsWith('.partial')) {
      await fsp.rm(join(dir, e), { recursive: true, force: true });
      n++;
    }
  }
  return n;
}
