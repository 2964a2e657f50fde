/**
 * Recordings encrypted at rest: an append-only file of AES-256-GCM chunks ("sealed file").
 *
 * Why this shape: a recording is written while it is captured and must survive a crash at any
 * moment, so the cipher is a stream of independently authenticated chunks (the STREAM
 * construction): every complete chunk on disk can be decrypted and checked on its own, and a
 * torn last chunk is simply not yet there. A finished file ends with a final record that
 * authenticates the chunk count and length, so truncation, reordering, splicing chunks from another
 * file and edits are all detected.
 *
 * Layout (all integers little-endian):
 *   header, 64 bytes: "AUSCSEAL" | version u8 = 1 | kind u8 | channels u16 | sampleRate u32 |
 *                     fileId 16 random bytes | keyId 16 bytes | reserved 16 (zero)
 *   chunk:            u32 length (bit 31 set = the final record) | ciphertext | 16-byte GCM tag
 * Keys: the recordings key = HKDF-SHA256(master, label 'auscult recordings v1'); each file's key =
 * HKDF-SHA256(recordings key, salt = fileId, info = the whole header), so a header edit makes every
 * chunk fail, and no two files share a key (no nonce can repeat across files). Nonce = 4 zero
 * bytes | u64 chunk index (big-endian); the additional data is the final flag and the index. The
 * final record's plaintext is u64 chunk count | u64 plaintext bytes.
 *
 * Two kinds: 'file' holds any file's bytes verbatim (imports, stored recordings); 'pcm16' holds
 * a capture's raw 16-bit PCM and reads back as a canonical WAV (44-byte header computed from what
 * is there), so a capture's header never has to be rewritten in place (re-encrypting a chunk
 * under the same nonce would break GCM).
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { AtRestKey } from '../common/at-rest.js';
import { CodedError } from '../common/coded-error.js';

export type SealedKind = 'file' | 'pcm16';
export type SealedErrorCode = 'SEALED_KEY' | 'SEALED_CORRUPT' | 'SEALED_UNFINISHED' | 'SEALED_IO';

export class SealedFileError extends CodedError<'sealed-file', SealedErrorCode> {
  constructor(code: SealedErrorCode, message: string) {
    super('sealed-file', code, message);
  }
}

const MAGIC = Buffer.from('AUSCSEAL', 'latin1');
export const SEALED_HEADER_BYTES = 64;
const TAG = 16;
const FINAL = 0x80000000;
/** Largest chunk we write or accept (a second of 192 kHz stereo is 768 KB). */
export const MAX_CHUNK_BYTES = 4 * 1024 * 1024;
const KIND_CODE: Record<SealedKind, number> = { file: 1, pcm16: 2 };

function recordingsKey(key: AtRestKey): Buffer {
  return Buffer.from(hkdfSync('sha256', key.master, Buffer.alloc(0), 'auscult recordings v1', 32));
}

/** The fingerprint stored in each header (so "another key" is told apart from "damaged"). */
function keyTag(key: AtRestKey): Buffer {
  return createHmac('sha256', key.master).update('auscult sealed file key tag v1').digest().subarray(0, 16);
}

function fileKey(key: AtRestKey, header: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', recordingsKey(key), header.subarray(16, 32), header, 32));
}

function nonce(index: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(index), 4);
  return n;
}

function aad(index: number, final: boolean): Buffer {
  const a = Buffer.alloc(9);
  a[0] = final ? 1 : 0;
  a.writeBigUInt64BE(BigInt(index), 1);
  return a;
}

export interface SealedFormat {
  kind: SealedKind;
  /** For 'pcm16': the capture's rate and channels (0 for 'file'). */
  sampleRate: number;
  channels: number;
}

function makeHeader(key: AtRestKey, f: SealedFormat): Buffer {
  const h = Buffer.alloc(SEALED_HEADER_BYTES);
  MAGIC.copy(h, 0);
  h[8] = 1;
  h[9] = KIND_CODE[f.kind];
  h.writeUInt16LE(f.channels, 10);
  h.writeUInt32LE(f.sampleRate, 12);
  randomBytes(16).copy(h, 16);
  keyTag(key).copy(h, 32);
  return h;
}

/** Whether these bytes start a sealed file (cheap: the magic only). */
export function isSealed(head: Uint8Array): boolean {
  return head.length >= 8 && Buffer.from(head.buffer, head.byteOffset, 8).equals(MAGIC);
}

/** Whether the file at `path` is sealed. */
export function isSealedFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(8);
    return readSync(fd, b, 0, 8, 0) === 8 && isSealed(b);
  } finally {
    closeSync(fd);
  }
}

function sealChunk(k: Buffer, index: number, plain: Uint8Array, final: boolean): Buffer {
  const c = createCipheriv('aes-256-gcm', k, nonce(index));
  c.setAAD(aad(index, final));
  const body = Buffer.concat([c.update(plain), c.final()]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE((plain.length | (final ? FINAL : 0)) >>> 0);
  return Buffer.concat([len, body, c.getAuthTag()]);
}

/** Write all of `buf` at `pos`, honouring short writes (a write may take fewer bytes than asked). */
export async function writeFully(fh: FileHandle, buf: Uint8Array, pos: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, pos + done);
    if (bytesWritten <= 0) {
      const err = new Error('the disk accepted no more bytes') as NodeJS.ErrnoException;
      err.code = 'ENOSPC';
      throw err;
    }
    done += bytesWritten;
  }
}

/**
 * Appends chunks to a new sealed file. `append` may be called with any amount (each call is one
 * chunk, split when larger than MAX_CHUNK_BYTES); `finish` writes the final record. A crash
 * leaves every chunk whose write completed readable with `readSealed(..., { unfinished: 'allow' })`.
 */
export class SealedWriter {
  private index = 0;
  private plainBytes = 0;
  private pos = SEALED_HEADER_BYTES;
  private finished = false;

  private constructor(
    private readonly fh: FileHandle,
    private readonly k: Buffer,
  ) {}

  /** Opens `path` (flags 'wx' unless given), mode 0600, and writes the header. */
  static async create(path: string, key: AtRestKey, format: SealedFormat, flags = 'wx'): Promise<SealedWriter> {
    const header = makeHeader(key, format);
    const fh = await open(path, flags, 0o600);
    try {
      await writeFully(fh, header, 0);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    return new SealedWriter(fh, fileKey(key, header));
  }

  /** Plaintext bytes appended so far. */
  get bytes(): number {
    return this.plainBytes;
  }

  /** Bytes of the file on disk so far. */
  get fileBytes(): number {
    return this.pos;
  }

  async append(plain: Uint8Array): Promise<void> {
    if (this.finished) throw new SealedFileError('SEALED_IO', 'the sealed file is already finished');
    for (let off = 0; off < plain.length; off += MAX_CHUNK_BYTES) {
      const part = plain.subarray(off, Math.min(plain.length, off + MAX_CHUNK_BYTES));
      const rec = sealChunk(this.k, this.index, part, false);
      await writeFully(this.fh, rec, this.pos);
      // Counted only once the whole record is on disk: a failed write leaves the tail torn,
      // which readers drop, and is never followed by another chunk under the same index.
      this.pos += rec.length;
      this.index++;
      this.plainBytes += part.length;
    }
  }

  async sync(): Promise<void> {
    await this.fh.datasync();
  }

  /** The final record (chunk count and length, authenticated), then fsync. */
  async finish(): Promise<void> {
    if (this.finished) return;
    const end = Buffer.alloc(16);
    end.writeBigUInt64LE(BigInt(this.index), 0);
    end.writeBigUInt64LE(BigInt(this.plainBytes), 8);
    const rec = sealChunk(this.k, this.index, end, true);
    await writeFully(this.fh, rec, this.pos);
    this.pos += rec.length;
    this.finished = true;
    await this.fh.datasync();
  }

  /** Truncate a torn tail left by a failed write, so the file ends at the last complete chunk. */
  async truncateToComplete(): Promise<void> {
    await this.fh.truncate(this.pos).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** Seal a whole buffer into a new file at `path` (mode 0600), fsynced. */
export async function writeSealedFile(path: string, key: AtRestKey, bytes: Uint8Array, flags = 'wx'): Promise<void> {
  const w = await SealedWriter.create(path, key, { kind: 'file', sampleRate: 0, channels: 0 }, flags);
  try {
    await w.append(bytes);
    await w.finish();
  } finally {
    await w.close();
  }
}

export interface SealedContents {
  format: SealedFormat;
  /** The plaintext: the file's bytes ('file') or the raw PCM ('pcm16'). */
  plain: Buffer;
  /** False when the file has no final record (a capture cut short: every complete chunk is here). */
  finished: boolean;
  /** Complete chunks read. */
  chunks: number;
  /** Bytes after the last complete chunk (a torn write), dropped. */
  tornBytes: number;
}

function parseHeader(h: Buffer, key: AtRestKey, label: string): SealedFormat {
  if (h.length < SEALED_HEADER_BYTES || !isSealed(h)) {
    throw new SealedFileError('SEALED_CORRUPT', `${label} is not an encrypted Auscult recording (no header).`);
  }
  if (h[8] !== 1)
    throw new SealedFileError('SEALED_CORRUPT', `${label} was written by a newer Auscult (format ${h[8]}).`);
  const kind = h[9] === 1 ? 'file' : h[9] === 2 ? 'pcm16' : null;
  if (!kind) throw new SealedFileError('SEALED_CORRUPT', `${label} is damaged (unknown kind ${h[9]}).`);
  if (!h.subarray(32, 48).equals(keyTag(key))) {
    throw new SealedFileError(
      'SEALED_KEY',
      `${label} was encrypted with another key than this data folder's: restore it with the key it was made with.`,
    );
  }
  return { kind, channels: h.readUInt16LE(10), sampleRate: h.readUInt32LE(12) };
}

/**
 * Decrypts a sealed file held in memory. Every chunk is authenticated; a chunk that fails is
 * SEALED_CORRUPT (changed on disk). Without a final record: SEALED_UNFINISHED, unless
 * `unfinished: 'allow'` (recovery of a capture), which returns the complete chunks.
 */
export function openSealed(
  bytes: Buffer,
  key: AtRestKey,
  opts: { unfinished?: 'refuse' | 'allow'; label?: string } = {},
): SealedContents {
  const label = opts.label ?? 'The recording file';
  const header = bytes.subarray(0, SEALED_HEADER_BYTES);
  const format = parseHeader(header, key, label);
  const k = fileKey(key, header);
  const parts: Buffer[] = [];
  let pos = SEALED_HEADER_BYTES;
  let index = 0;
  let total = 0;
  let finished = false;
  while (pos + 4 + TAG <= bytes.length) {
    const field = bytes.readUInt32LE(pos);
    const final = (field & FINAL) !== 0;
    const len = field & ~FINAL;
    if (len > MAX_CHUNK_BYTES) {
      throw new SealedFileError('SEALED_CORRUPT', `${label} is damaged: chunk ${index} claims ${len} bytes.`);
    }
    if (pos + 4 + len + TAG > bytes.length) break; // a torn last chunk
    const d = createDecipheriv('aes-256-gcm', k, nonce(index));
    d.setAAD(aad(index, final));
    d.setAuthTag(bytes.subarray(pos + 4 + len, pos + 4 + len + TAG));
    let plain: Buffer;
    try {
      // GCM's final() adds no bytes: keep update()'s buffer rather than copying it again.
      const body = d.update(bytes.subarray(pos + 4, pos + 4 + len));
      const tail = d.final();
      plain = tail.length ? Buffer.concat([body, tail]) : body;
    } catch {
      throw new SealedFileError(
        'SEALED_CORRUPT',
        `${label} was changed on disk (chunk ${index} fails its authentication): restore it from a backup.`,
      );
    }
    pos += 4 + len + TAG;
    if (final) {
      if (len !== 16 || plain.readBigUInt64LE(0) !== BigInt(index) || plain.readBigUInt64LE(8) !== BigInt(total)) {
        throw new SealedFileError('SEALED_CORRUPT', `${label} is damaged: its final record does not match its chunks.`);
      }
      if (pos !== bytes.length) {
        throw new SealedFileError('SEALED_CORRUPT', `${label} has bytes after its final record: it was changed.`);
      }
      finished = true;
      break;
    }
    parts.push(plain);
    total += plain.length;
    index++;
  }
  if (!finished && opts.unfinished !== 'allow') {
    throw new SealedFileError(
      'SEALED_UNFINISHED',
      `${label} is incomplete (its writing was cut short, or it was truncated): restore it from a backup.`,
    );
  }
  const plain = parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
  return { format, plain, finished, chunks: index, tornBytes: bytes.length - pos };
}

/** The canonical 44-byte header of a 16-bit PCM WAV. */
export function pcm16WavHeader(sampleRate: number, channels: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** The WAV a sealed file stands for: its bytes ('file'), or a canonical WAV of its PCM ('pcm16'). */
export function sealedToWav(c: SealedContents): Buffer {
  if (c.format.kind === 'file') return c.plain;
  const frame = 2 * Math.max(1, c.format.channels);
  const pcm = c.plain.subarray(0, c.plain.length - (c.plain.length % frame));
  return Buffer.concat([pcm16WavHeader(c.format.sampleRate, c.format.channels, pcm.length), pcm]);
}

/**
 * What a sealed capture holds, from its structure alone (no key, no decryption): complete chunks
 * and their plaintext bytes. For listing interrupted recordings; reading authenticates.
 */
export function inspectSealedFile(path: string): {
  format: Omit<SealedFormat, 'kind'> & { kind: SealedKind | null };
  plainBytes: number;
  finished: boolean;
  fileBytes: number;
} {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const h = Buffer.alloc(SEALED_HEADER_BYTES);
    if (readSync(fd, h, 0, h.length, 0) < h.length || !isSealed(h)) {
      throw new SealedFileError('SEALED_CORRUPT', `${path} is not an encrypted Auscult recording.`);
    }
    let pos = SEALED_HEADER_BYTES;
    let plainBytes = 0;
    let finished = false;
    const len = Buffer.alloc(4);
    while (pos + 4 + TAG <= size) {
      readSync(fd, len, 0, 4, pos);
      const field = len.readUInt32LE(0);
      const n = field & ~FINAL;
      if (n > MAX_CHUNK_BYTES || pos + 4 + n + TAG > size) break;
      pos += 4 + n + TAG;
      if ((field & FINAL) !== 0) {
        finished = true;
        break;
      }
      plainBytes += n;
    }
    return {
      format: {
        kind: h[9] === 1 ? 'file' : h[9] === 2 ? 'pcm16' : null,
        channels: h.readUInt16LE(10),
        sampleRate: h.readUInt32LE(12),
      },
      plainBytes,
      finished,
      fileBytes: size,
    };
  } finally {
    closeSync(fd);
  }
}
