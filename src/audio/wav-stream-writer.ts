/**
 * Crash-safe streaming WAV writer (16-bit PCM) and the matching recovery reader/repair.
 *
 * Why this shape: a recording must survive the process being killed at any moment. Samples are
 * buffered in memory and flushed at least every `flushIntervalMs` (and whenever a second of audio
 * is buffered): each flush appends the data, fsyncs, then patches the RIFF and data sizes in the
 * header and fsyncs again. So after a kill the file is a valid WAV holding every sample up to the
 * last completed flush; if the kill lands between the data write and the header patch, the header
 * is merely short and `repairWav` extends it to the whole samples on disk.
 *
 * A write that fails (disk full, I/O error, or a short write the disk could not complete) ends
 * the file, never the process: `write` keeps accepting and dropping samples so the caller's
 * real-time path never throws, the header is fixed to the whole samples that are on disk (a
 * header patch rewrites bytes already allocated, so it works on a full disk), and `onFailure`
 * listeners hear once what happened and how much was kept.
 *
 * Encrypted at rest (`seal`): the file is a sealed 'pcm16' stream (sealed-file.ts): each flush
 * appends one authenticated chunk, and there is no header to patch; a torn last chunk is cut.
 */
import { CodedError } from '../common/coded-error.js';
import type { AtRestKey } from '../common/at-rest.js';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { SealedWriter, writeFully } from './sealed-file.js';

export interface WavStreamOptions {
  sampleRate: number;
  /** Interleaved channels in each write (capture writes mono). */
  channels?: number;
  /** Upper bound on how long written samples may sit in memory before reaching the disk. */
  flushIntervalMs?: number;
  /** Encrypt at rest with this key (a sealed PCM stream instead of a plain WAV). */
  seal?: AtRestKey | null;
}

export class WavFileError extends CodedError<'wav-file', 'WAV_INVALID' | 'WAV_IO' | 'WAV_DISK_FULL'> {
  constructor(code: 'WAV_INVALID' | 'WAV_IO' | 'WAV_DISK_FULL', message: string) {
    super('wav-file', code, message);
  }
}

/** What a failed write left: the error, and the whole samples (per channel) kept on disk. */
export interface WriteFailure {
  error: WavFileError;
  samplesKept: number;
  sampleRate: number;
}

const HEADER_BYTES = 44;

function header(sampleRate: number, channels: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG';
}

/** Where the bytes go: a plain WAV (header patched per flush) or a sealed stream. */
interface Target {
  append(chunk: Buffer): Promise<void>;
  /** Bytes of audio data known to be durably on disk, with a header (or chunk) covering them. */
  readonly dataBytes: number;
  finish(): Promise<void>;
  /** After a failure: make the file describe exactly the whole frames on disk. */
  repair(frameBytes: number): Promise<void>;
  close(): Promise<void>;
}

class PlainTarget implements Target {
  dataBytes = 0;
  constructor(
    private readonly fh: FileHandle,
    private readonly sampleRate: number,
    private readonly channels: number,
  ) {}
  async append(chunk: Buffer): Promise<void> {
    await writeFully(this.fh, chunk, HEADER_BYTES + this.dataBytes);
    await this.fh.datasync();
    const next = this.dataBytes + chunk.length;
    await writeFully(this.fh, header(this.sampleRate, this.channels, next), 0);
    await this.fh.datasync();
    this.dataBytes = next;
  }
  async finish(): Promise<void> {
    /* every flush already left a complete file */
  }
  async repair(frameBytes: number): Promise<void> {
    // Part of the failed chunk may be on disk: keep its whole frames, drop the torn end.
    const onDisk = Math.max(0, (await this.fh.stat()).size - HEADER_BYTES);
    const keep = onDisk - (onDisk % frameBytes);
    await this.fh.truncate(HEADER_BYTES + keep);
    await writeFully(this.fh, header(this.sampleRate, this.channels, keep), 0);
    await this.fh.datasync();
    this.dataBytes = keep;
  }
  async close(): Promise<void> {
    await this.fh.close();
  }
}

class SealedTarget implements Target {
  constructor(private readonly w: SealedWriter) {}
  get dataBytes(): number {
    return this.w.bytes;
  }
  async append(chunk: Buffer): Promise<void> {
    await this.w.append(chunk);
    await this.w.sync();
  }
  async finish(): Promise<void> {
    await this.w.finish();
  }
  async repair(): Promise<void> {
    await this.w.truncateToComplete();
    await this.w.sync().catch(() => undefined);
  }
  async close(): Promise<void> {
    await this.w.close();
  }
}

export class WavStreamWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private failure: WriteFailure | null = null;
  private readonly failureListeners = new Set<(f: WriteFailure) => void>();
  private readonly flushBytes: number;

  private constructor(
    readonly path: string,
    private readonly target: Target,
    readonly sampleRate: number,
    readonly channels: number,
    flushIntervalMs: number,
    /** Whether the file is sealed (encrypted at rest). */
    readonly sealed: boolean,
  ) {
    this.flushBytes = sampleRate * channels * 2; // one second of audio
    this.timer = setInterval(() => void this.flush().catch(() => undefined), flushIntervalMs);
    this.timer.unref();
  }

  /** Create (or truncate) `path`, mode 0600, and write a valid empty WAV (or sealed header) at once. */
  static async create(path: string, opts: WavStreamOptions): Promise<WavStreamWriter> {
    const channels = opts.channels ?? 1;
    if (!Number.isInteger(opts.sampleRate) || opts.sampleRate <= 0) {
      throw new WavFileError('WAV_INVALID', `sample rate must be a positive integer, got ${opts.sampleRate}`);
    }
    let target: Target;
    try {
      if (opts.seal) {
        target = new SealedTarget(
          await SealedWriter.create(path, opts.seal, { kind: 'pcm16', sampleRate: opts.sampleRate, channels }, 'w'),
        );
      } else {
        const fh = await open(path, 'w', 0o600);
        try {
          await writeFully(fh, header(opts.sampleRate, channels, 0), 0);
          await fh.datasync();
        } catch (err) {
          await fh.close().catch(() => undefined);
          await unlink(path).catch(() => undefined);
          throw err;
        }
        target = new PlainTarget(fh, opts.sampleRate, channels);
      }
    } catch (err) {
      throw new WavFileError(
        isDiskFull(err) ? 'WAV_DISK_FULL' : 'WAV_IO',
        isDiskFull(err)
          ? 'The disk is full: there is no room to start a recording. Free some disk space, then record again.'
          : `cannot create the recording file ${path}: ${(err as Error).message}. Check the disk has space and the folder is writable.`,
      );
    }
    return new WavStreamWriter(path, target, opts.sampleRate, channels, opts.flushIntervalMs ?? 1000, !!opts.seal);
  }

  /** Samples accepted so far (per channel), flushed or not (after a failure: those kept). */
  get samplesWritten(): number {
    if (this.failure) return this.failure.samplesKept;
    return (this.target.dataBytes + this.pendingBytes) / (2 * this.channels);
  }

  /** Samples known to be on disk with a header that covers them. */
  get samplesFlushed(): number {
    return this.target.dataBytes / (2 * this.channels);
  }

  /** Why writing stopped, or null. */
  get failed(): WriteFailure | null {
    return this.failure;
  }

  /** Hear once when a write fails (disk full, I/O error). */
  onFailure(listener: (f: WriteFailure) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /**
   * Buffer interleaved 16-bit samples; never blocks, never throws for a disk problem (after a
   * failed write the samples are dropped: the recording has ended, see `onFailure`).
   */
  write(samples: Int16Array): void {
    if (this.closed) throw new WavFileError('WAV_IO', 'the recording file is already closed');
    if (this.failure || samples.length === 0) return;
    // Copy: the caller may reuse its buffer. Int16 LE on every platform Node runs on here.
    const buf = Buffer.from(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    if (this.pendingBytes >= this.flushBytes) void this.flush().catch(() => undefined);
  }

  /** Append what is buffered and make it durable (rejects with the WavFileError after a failure). */
  flush(): Promise<void> {
    const next = this.chain.then(async () => {
      if (this.failure) throw this.failure.error;
      if (this.pendingBytes === 0) return;
      const chunk = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      try {
        await this.target.append(chunk);
      } catch (err) {
        await this.fail(err);
        throw this.failure!.error;
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async fail(err: unknown): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    let repaired = true;
    try {
      await this.target.repair(2 * this.channels);
    } catch {
      repaired = false; // the file keeps what its last good flush described
    }
    const samplesKept = this.target.dataBytes / (2 * this.channels);
    const sec = (samplesKept / this.sampleRate).toFixed(1);
    const error = isDiskFull(err)
      ? new WavFileError(
          'WAV_DISK_FULL',
          `The disk is full: the recording stopped at ${sec} s and the ${sec} s recorded were kept. Free some disk space before recording again.`,
        )
      : new WavFileError(
          'WAV_IO',
          `Writing the recording failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): it stopped at ${sec} s and the ${sec} s recorded were kept${repaired ? '' : ' (up to the last complete second)'}. Check the disk, then record again.`,
        );
    this.failure = { error, samplesKept, sampleRate: this.sampleRate };
    for (const l of [...this.failureListeners]) l(this.failure);
  }

  /**
   * Flush everything and close. Returns the samples (per channel) in the file. After a failed
   * write it does not throw: it closes the file as repaired and returns what was kept.
   */
  async close(): Promise<{ path: string; samples: number; sampleRate: number; bytes: number }> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.closed) {
      this.closed = true;
      try {
        await this.flush().catch(() => undefined);
        if (!this.failure) {
          try {
            await this.target.finish();
          } catch (err) {
            await this.fail(err);
          }
        }
      } finally {
        await this.target.close().catch(() => undefined);
      }
    }
    const dataBytes = this.target.dataBytes;
    return {
      path: this.path,
      samples: dataBytes / (2 * this.channels),
      sampleRate: this.sampleRate,
      bytes: HEADER_BYTES + dataBytes,
    };
  }

  /** Close and delete the file (a cancelled recording). */
  async discard(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.closed) {
      this.closed = true;
      await this.chain;
      await this.target.close().catch(() => undefined);
    }
    await unlink(this.path).catch(() => undefined);
  }
}

export interface WavInspection {
  path: string;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Whole sample frames actually on disk after the data chunk's start. */
  samples: number;
  durationSec: number;
  fileBytes: number;
  /** Where the sample data starts in the file. */
  dataOffset: number;
  /** Bytes the header's data chunk size claims (may differ from what is on disk after a crash). */
  headerDataBytes: number;
  /** True when the header does not describe exactly the samples on disk. */
  needsRepair: boolean;
}

/**
 * Read a WAV's header and compare it with the bytes on disk, without trusting the size fields
 * (a recording cut short by a crash has stale sizes). Supports PCM 16-bit files with extra chunks
 * before `data` (as other tools write them).
 */
export function inspectWav(path: string): WavInspection {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new WavFileError('WAV_IO', `cannot open ${path}: ${(err as Error).message}`);
  }
  try {
    const fileBytes = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(fileBytes, 4096));
    readSync(fd, head, 0, head.length, 0);
    if (head.length < 12 || head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE') {
      throw new WavFileError('WAV_INVALID', `${path} is not a WAV file (no RIFF/WAVE header)`);
    }
    let off = 12;
    let fmt: { channels: number; sampleRate: number; bits: number; format: number } | null = null;
    while (off + 8 <= head.length) {
      const id = head.toString('ascii', off, off + 4);
      const size = head.readUInt32LE(off + 4);
      if (id === 'fmt ') {
        if (off + 24 > head.length) break;
        fmt = {
          format: head.readUInt16LE(off + 8),
          channels: head.readUInt16LE(off + 10),
          sampleRate: head.readUInt32LE(off + 12),
          bits: head.readUInt16LE(off + 22),
        };
      } else if (id === 'data') {
        if (!fmt) throw new WavFileError('WAV_INVALID', `${path}: data chunk before fmt chunk`);
        if (fmt.bits !== 16 || (fmt.format !== 1 && fmt.format !== 0xfffe)) {
          throw new WavFileError(
            'WAV_INVALID',
            `${path}: only 16-bit PCM recordings can be recovered (found format ${fmt.format}, ${fmt.bits} bits)`,
          );
        }
        const dataOffset = off + 8;
        const frameBytes = 2 * fmt.channels;
        const onDisk = Math.max(0, fileBytes - dataOffset);
        const samples = Math.floor(onDisk / frameBytes);
        return {
          path,
          sampleRate: fmt.sampleRate,
          channels: fmt.channels,
          bitsPerSample: 16,
          samples,
          durationSec: samples / fmt.sampleRate,
          fileBytes,
          dataOffset,
          headerDataBytes: size,
          needsRepair:
            size !== samples * frameBytes ||
            fileBytes !== dataOffset + samples * frameBytes ||
            head.readUInt32LE(4) !== fileBytes - 8,
        };
      }
      off += 8 + size + (size % 2);
    }
    throw new WavFileError('WAV_INVALID', `${path}: no data chunk found in the WAV header`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Make a WAV cut short by a crash describe exactly the whole samples on disk: drop a trailing
 * partial sample and patch the RIFF and data sizes. Idempotent; returns the inspection after repair.
 */
export async function repairWav(path: string): Promise<WavInspection> {
  const info = inspectWav(path);
  if (!info.needsRepair) return info;
  const dataBytes = info.samples * info.channels * 2;
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(info.dataOffset + dataBytes);
    const sizes = Buffer.alloc(4);
    sizes.writeUInt32LE(info.dataOffset + dataBytes - 8, 0);
    await fh.write(sizes, 0, 4, 4);
    sizes.writeUInt32LE(dataBytes, 0);
    await fh.write(sizes, 0, 4, info.dataOffset - 4);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  return inspectWav(path);
}

/** Read a 16-bit PCM WAV's samples (interleaved) as they are on disk, for checks and recovery. */
export function readWavPcm16(path: string): { sampleRate: number; channels: number; samples: Int16Array } {
  const info = inspectWav(path);
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.alloc(info.samples * info.channels * 2);
    readSync(fd, bytes, 0, bytes.length, info.dataOffset);
    const out = new Int16Array(bytes.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2);
    return { sampleRate: info.sampleRate, channels: info.channels, samples: out };
  } finally {
    closeSync(fd);
  }
}
