/**
 * Reading FLAC files (lossless; SPRSound ships as FLAC): mono float32 in [-1, 1] on the same scale as
 * the WAV reader (integer / 2^(bits−1)), so a FLAC and the same audio as WAV decode to identical samples.
 *
 * The decoding itself is libFLAC's reference decoder compiled to WebAssembly (@wasm-audio-decoders/flac),
 * fed frames found by its companion frame parser (codec-parser). Neither is trusted with the file's
 * promises, because both are lenient: the parser silently skips a frame whose CRC fails and resyncs, so a
 * damaged file would otherwise decode "fine" with seconds missing. Our own checks, in order:
 *  1. `scanFlacHeader` walks the metadata blocks with bounds checks and reads STREAMINFO (rate, channels,
 *     bits, total samples, MD5); limits (WAV_LIMITS) are enforced before any audio is decoded, so a header
 *     claiming hours of audio never allocates.
 *  2. Each frame's position (its frame or sample number) must follow the previous one: a gap is a dropped,
 *     damaged frame → CORRUPT. Each frame must match STREAMINFO's rate, channels and bits.
 *  3. The running sample count may never pass the declared total (a "decompression bomb" of constant
 *     frames cannot make us allocate more than the header announced and the limits allow).
 *  4. At the end: fewer samples than declared → TRUNCATED, more → CORRUPT; decoder errors → CORRUPT; and
 *     the decoded integers must match STREAMINFO's MD5 when the encoder wrote one → else CORRUPT.
 *
 * The decoder returns int / (2^(bits−1) − 1) as float32; that division is exact to recover, so the
 * integers are recovered (Math.round) and rescaled to the WAV convention.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import CodecParser, { type CodecFrame, type FLACHeader, type OggPage } from 'codec-parser';
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import { AudioFileError } from './audio-file-error.js';
import { isFlac } from './flac-magic.js';
import { WAV_LIMITS, type DecodedAudio } from './wav-read.js';

/** What STREAMINFO says, checked against our limits. */
export interface FlacLayout {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** 0 when the encoder did not know (a stream); then the limits bound the decoding. */
  totalSamples: number;
  minBlockSize: number;
  maxBlockSize: number;
  /** Largest frame in bytes (STREAMINFO; 0 = unknown, then the size of an uncompressed frame). */
  maxFrameBytes: number;
  /** Hex MD5 of the decoded samples, or null when the encoder left it zero. */
  md5: string | null;
  /** Byte offset of the first audio frame. */
  audioStart: number;
}

/** Decoded FLAC integers per channel, as the sink sees them (a batch of frames at a time). */
export type FlacSink = (channels: Int32Array[], frames: number) => void;

const FIX_HINT =
  'Convert it to 16- or 24-bit FLAC or WAV, e.g. `sox input.flac -b 16 output.flac` or `sox input.flac -b 16 output.wav`.';
const REPAIR_HINT =
  'Copy it again from the device; to analyse only the part that is there, decode it through the damage first, e.g. ' +
  '`flac --decode --decode-through-errors input.flac -o repaired.wav`.';
/** A FLAC file can be no larger than its raw samples plus framing; this bounds what we read into memory. */
const MAX_FILE_BYTES = 512 * 1024 * 1024;

function u24(b: Uint8Array, p: number): number {
  return (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
}

const seconds = (n: number, rate: number): string => `${(n / rate).toFixed(1)} s`;

export { isFlac };

/**
 * Walks the metadata blocks and validates STREAMINFO. Throws AudioFileError; reads no audio.
 * `stream`: the file is decoded in bounded memory (openFlacStream), so only the one-hour limit
 * applies, not the whole-array sample limit (as openWavStream).
 */
export function scanFlacHeader(bytes: Uint8Array, opts: { stream?: boolean } = {}): FlacLayout {
  if (bytes.length === 0)
    throw new AudioFileError(
      'EMPTY',
      'The file is empty (0 bytes): nothing was recorded or the copy failed. Record again or copy the file again.',
    );
  if (!isFlac(bytes)) throw new AudioFileError('NOT_WAV', 'This is not a FLAC file (it does not start with "fLaC").');
  let pos = 4;
  let info: Omit<FlacLayout, 'audioStart'> | null = null;
  for (let count = 0; ; count++) {
    if (pos + 4 > bytes.length)
      throw new AudioFileError(
        'TRUNCATED',
        'The FLAC file is cut short inside its header, before any audio. Copy it again from the device.',
      );
    if (count > 10000)
      throw new AudioFileError(
        'CORRUPT',
        'The FLAC file is damaged: more than 10 000 metadata blocks before the audio. Export the recording again.',
      );
    const last = (bytes[pos]! & 0x80) !== 0;
    const type = bytes[pos]! & 0x7f;
    const len = u24(bytes, pos + 1);
    const body = pos + 4;
    if (body + len > bytes.length)
      throw new AudioFileError(
        'TRUNCATED',
        `The FLAC file is cut short inside its header (metadata block of type ${type}), before any audio. Copy it again from the device.`,
      );
    if (count === 0 && (type !== 0 || len !== 34))
      throw new AudioFileError(
        'CORRUPT',
        'The FLAC file is damaged: its first metadata block is not a valid STREAMINFO. Export the recording again.',
      );
    if (type === 127)
      throw new AudioFileError('CORRUPT', 'The FLAC file is damaged: an invalid metadata block. Export it again.');
    if (type === 0 && count === 0) {
      const b = bytes.subarray(body, body + 34);
      const minBlockSize = (b[0]! << 8) | b[1]!;
      const maxBlockSize = (b[2]! << 8) | b[3]!;
      const maxFrameBytes = u24(b, 7);
      const sampleRate = (b[10]! << 12) | (b[11]! << 4) | (b[12]! >> 4);
      const channels = ((b[12]! >> 1) & 0x07) + 1;
      const bitsPerSample = (((b[12]! & 0x01) << 4) | (b[13]! >> 4)) + 1;
      const totalSamples = (b[13]! & 0x0f) * 2 ** 32 + ((b[14]! << 24) >>> 0) + (b[15]! << 16) + (b[16]! << 8) + b[17]!;
      const md5Bytes = b.subarray(18, 34);
      const md5 = md5Bytes.every((x) => x === 0) ? null : Buffer.from(md5Bytes).toString('hex');
      if (minBlockSize < 16 || maxBlockSize < minBlockSize)
        throw new AudioFileError(
          'CORRUPT',
          `The FLAC file is damaged: its header declares impossible block sizes (${minBlockSize}–${maxBlockSize}). Export the recording again.`,
        );
      info = { sampleRate, channels, bitsPerSample, totalSamples, minBlockSize, maxBlockSize, maxFrameBytes, md5 };
    }
    pos = body + len;
    if (last) break;
  }
  const h = info!;
  if (!(h.sampleRate >= WAV_LIMITS.minSampleRate && h.sampleRate <= WAV_LIMITS.maxSampleRate))
    throw new AudioFileError(
      'UNSUPPORTED',
      `The file's sample rate (${h.sampleRate} Hz) is outside what Auscult reads (4 kHz to 192 kHz). ` +
        'Check the stethoscope settings, or convert it, e.g. `sox input.flac -r 16000 output.flac`.',
    );
  if (h.bitsPerSample < 4 || h.bitsPerSample > 24)
    throw new AudioFileError(
      'UNSUPPORTED',
      `The FLAC file stores ${h.bitsPerSample}-bit samples; Auscult reads 4- to 24-bit FLAC. ${FIX_HINT}`,
    );
  const sec = h.totalSamples / h.sampleRate;
  // samples of all channels count: a FLAC is kept whole while it is converted for the store
  if (sec > WAV_LIMITS.maxDurationSec || (!opts.stream && h.totalSamples * h.channels > WAV_LIMITS.maxSamples))
    throw new AudioFileError(
      'TOO_LARGE',
      `The recording is too long to analyse in one piece (its header announces ${(sec / 60).toFixed(1)} min at ${h.sampleRate} Hz; ` +
        `the limit is ${WAV_LIMITS.maxDurationSec / 60} min and ${WAV_LIMITS.maxSamples} samples). Split it, e.g. \`sox input.flac part.flac trim 0 600 : newfile : restart\`.`,
    );
  if (pos >= bytes.length) {
    if (h.totalSamples === 0)
      throw new AudioFileError('EMPTY', 'The FLAC file contains no audio: nothing was recorded. Record again.');
    throw new AudioFileError(
      'TRUNCATED',
      `The FLAC file is cut short: its header announces ${seconds(h.totalSamples, h.sampleRate)} of audio but none is present. Copy it again from the device.`,
    );
  }
  return { ...h, audioStart: pos };
}

/** Frames handed to libFLAC at once: enough to amortise the call, few enough to keep memory flat. */
const FRAMES_PER_BATCH = 64;

/** Runs libFLAC's console.error-reporting decode with that output silenced: our own errors say it better. */
function quietly<T>(fn: () => T): T {
  const original = console.error;
  console.error = () => undefined;
  try {
    return fn();
  } finally {
    console.error = original;
  }
}

/**
 * Decodes a FLAC file held in memory, handing the integers of each batch of frames to `sink`.
 * Returns the layout and the number of samples (per channel) decoded. Throws AudioFileError.
 */
export async function decodeFlacInto(bytes: Uint8Array, sink: FlacSink): Promise<FlacLayout & { frames: number }> {
  const layout = scanFlacHeader(bytes);
  const audio = bytes.subarray(layout.audioStart);
  const batches = decodeFrames(layout, chunksOf(audio), audio.length);
  try {
    for (let r = await batches.next(); ; r = await batches.next()) {
      if (r.done) return { ...layout, frames: r.value };
      sink(r.value.channels, r.value.frames);
    }
  } finally {
    await batches.return(0); // frees the decoder when the sink threw (a no-op after the end)
  }
}

/** Parser input size. */
const CHUNK = 64 * 1024;

function* chunksOf(audio: Uint8Array): Generator<Uint8Array> {
  for (let p = 0; p < audio.length; p += CHUNK) yield audio.subarray(p, p + CHUNK);
}

/**
 * The frames of a FLAC's audio (the bytes after its header, `audioBytes` of them, in chunks), decoded
 * and checked batch by batch; returns the samples decoded per channel. The end-of-file checks (length,
 * MD5) run after the last batch, so a consumer must treat what it got as unconfirmed until the
 * generator has returned: a damaged file throws there.
 */
async function* decodeFrames(
  layout: FlacLayout,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  audioBytes: number,
  stream = false,
): AsyncGenerator<{ channels: Int32Array[]; frames: number }, number> {
  const decoder = new FLACDecoder();
  await decoder.ready;
  try {
    return yield* decodeWith(layout, chunks, audioBytes, decoder, stream);
  } finally {
    decoder.free();
  }
}

async function* decodeWith(
  layout: FlacLayout,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  audioBytes: number,
  decoder: FLACDecoder,
  stream: boolean,
): AsyncGenerator<{ channels: Int32Array[]; frames: number }, number> {
  const { sampleRate: rate, channels, bitsPerSample: bits } = layout;
  // Without a declared total the limits bound the output instead (a stream's: one hour).
  const cap =
    layout.totalSamples > 0
      ? layout.totalSamples
      : stream
        ? WAV_LIMITS.maxDurationSec * rate
        : Math.floor(WAV_LIMITS.maxSamples / channels);
  const md5 = layout.md5 ? createHash('md5') : null;
  const bytesPer = Math.ceil(bits / 8);
  const scale = 2 ** (bits - 1) - 1;
  const parser = new CodecParser('audio/flac', { enableLogging: false, onCodec: () => undefined });
  let position = 0;
  let pending: Uint8Array[] = [];
  let pendingSamples = 0;
  let consumed = 0;
  const damaged = (at: number, what: string): AudioFileError =>
    new AudioFileError(
      'CORRUPT',
      `The FLAC file is damaged at about ${seconds(at, rate)} (${what}); the audio there cannot be trusted. ${REPAIR_HINT}`,
    );

  const flush = async (): Promise<{ channels: Int32Array[]; frames: number } | null> => {
    if (pending.length === 0) return null;
    // decodeFrames does its work synchronously before returning its promise, so console.error is
    // silenced exactly while libFLAC runs and restored before anything else can run
    const out = await quietly(() => decoder.decodeFrames(pending));
    const start = position - pendingSamples;
    if (out.errors.length > 0) throw damaged(start, out.errors[0]!.message);
    if (out.samplesDecoded !== pendingSamples || out.channelData.length !== channels)
      throw damaged(start, `${out.samplesDecoded} samples decoded where the frames announce ${pendingSamples}`);
    const ints = out.channelData.map((ch) => {
      const a = new Int32Array(ch.length);
      for (let i = 0; i < ch.length; i++) a[i] = Math.round(ch[i]! * scale);
      return a;
    });
    if (md5) {
      const buf = Buffer.alloc(pendingSamples * channels * bytesPer);
      let p = 0;
      for (let i = 0; i < pendingSamples; i++)
        for (let c = 0; c < channels; c++, p += bytesPer) buf.writeIntLE(ints[c]![i]!, p, bytesPer);
      md5.update(buf);
    }
    const batch = { channels: ints, frames: pendingSamples };
    pending = [];
    pendingSamples = 0;
    return batch;
  };

  const take = (frame: CodecFrame): void => {
    const h = frame.header as FLACHeader & { sampleNumber?: number };
    const startsAt = h.blockingStrategy === 'Variable' ? (h.sampleNumber ?? -1) : h.frameNumber * layout.maxBlockSize;
    if (startsAt !== position)
      throw damaged(position, startsAt > position ? 'a damaged frame was skipped' : 'frames out of order');
    if (h.sampleRate !== rate || h.channels !== channels || h.bitDepth !== bits)
      throw damaged(position, 'a frame disagrees with the header on rate, channels or bit depth');
    position += frame.samples;
    if (position > cap) {
      if (layout.totalSamples > 0)
        throw damaged(position, `more audio than the ${seconds(layout.totalSamples, rate)} its header announces`);
      throw new AudioFileError(
        'TOO_LARGE',
        stream
          ? `The recording is longer than ${WAV_LIMITS.maxDurationSec / 60} min, more than Auscult analyses in one piece. Split it, e.g. \`sox input.flac part.flac trim 0 600 : newfile : restart\`.`
          : `The recording is too long to analyse in one piece (more than ${WAV_LIMITS.maxSamples} samples over all channels). Split it, e.g. \`sox input.flac part.flac trim 0 600 : newfile : restart\`.`,
      );
    }
    pending.push(frame.data);
    pendingSamples += frame.samples;
    consumed += frame.data.length;
  };

  // the parser's typings say Iterator; its generators are walked by hand
  async function* drain(
    it: Iterator<CodecFrame | OggPage>,
  ): AsyncGenerator<{ channels: Int32Array[]; frames: number }> {
    for (let r = it.next(); !r.done; r = it.next()) {
      take(r.value as CodecFrame);
      if (pending.length >= FRAMES_PER_BATCH) {
        const b = await flush();
        if (b) yield b;
      }
    }
  }
  for await (const chunk of chunks) yield* drain(parser.parseChunk(chunk));
  yield* drain(parser.flush());
  const last = await flush();
  if (last) yield last;

  if (position === 0) {
    if (layout.totalSamples === 0)
      throw new AudioFileError('EMPTY', 'The FLAC file contains no audio: nothing was recorded. Record again.');
    throw damaged(0, 'no readable audio frame');
  }
  // Short of the total: truncated only if what follows the last good frame could be one cut-off frame;
  // more bytes than that mean frames the parser could not read (damage in the middle).
  const frameBound = layout.maxFrameBytes || layout.maxBlockSize * channels * bytesPer + 64;
  if (layout.totalSamples > 0 && position < layout.totalSamples && audioBytes - consumed > frameBound)
    throw damaged(position, 'unreadable frames follow');
  if (layout.totalSamples > 0 && position < layout.totalSamples)
    throw new AudioFileError(
      'TRUNCATED',
      `The FLAC file is cut short: its header announces ${seconds(layout.totalSamples, rate)} of audio but only ${seconds(position, rate)} ` +
        `are present (an incomplete copy or download). ${REPAIR_HINT}`,
    );
  if (md5 && md5.digest('hex') !== layout.md5)
    throw damaged(0, 'the decoded audio does not match the checksum (MD5) in its header');
  return position;
}

/** Mono samples of a batch of frames, on the WAV reader's scale (the same arithmetic as the WAV reader: mean of the integers, then the scale). */
function monoOf(chs: Int32Array[], frames: number, norm: number, into: Float32Array): void {
  const inv = 1 / chs.length;
  for (let i = 0; i < frames; i++) {
    let acc = 0;
    for (const ch of chs) acc += ch[i]!;
    into[i] = acc * inv * norm;
  }
}

/** A FLAC file opened for decoding in bounded memory (the WavStream of a FLAC). */
export interface FlacStream {
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
  /** Samples per channel the header declares (0: not declared). */
  readonly frames: number;
  readonly durationSec: number;
  readonly warnings: string[];
  /**
   * Mono samples in [-1, 1], a batch of frames at a time (each chunk a fresh array). The file's
   * end-of-stream checks (length, MD5) run after the last chunk: the generator throws AudioFileError
   * there for a damaged file, so nothing computed from the chunks may be kept unless it returned.
   */
  chunks(): AsyncGenerator<Float32Array>;
  close(): Promise<void>;
}

/** Bytes read from the file at a time. */
const READ_BYTES = 256 * 1024;

/**
 * Opens a FLAC file for decoding in bounded memory whatever its length: the header is read and
 * checked as decodeFlac checks it (except the whole-array sample limit; the one-hour limit stays),
 * then the audio is read, parsed and decoded 256 KiB at a time, with every check of decodeFlac.
 * A 60-minute recording at 44.1 kHz is ≈ 200 MB of FLAC and 635 MB of float32 as one array.
 */
export async function openFlacStream(path: string): Promise<FlacStream> {
  const { fh, size } = await openChecked(path, Infinity);
  let layout: FlacLayout;
  try {
    layout = await readLayout(fh, size);
  } catch (err) {
    await fh.close();
    throw err;
  }
  const norm = 1 / 2 ** (layout.bitsPerSample - 1);
  async function* bytes(): AsyncGenerator<Uint8Array> {
    for (let pos = layout.audioStart; pos < size;) {
      // a fresh buffer per read: the parser's frames point into it until they are decoded
      const buf = new Uint8Array(Math.min(READ_BYTES, size - pos));
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return; // the file shrank: the decoder reports what is missing
      yield buf.subarray(0, bytesRead);
      pos += bytesRead;
    }
  }
  let started = false;
  return {
    sampleRate: layout.sampleRate,
    channels: layout.channels,
    bitsPerSample: layout.bitsPerSample,
    frames: layout.totalSamples,
    durationSec: layout.totalSamples / layout.sampleRate,
    warnings: [],
    async *chunks(): AsyncGenerator<Float32Array> {
      if (started) throw new Error('FlacStream: chunks() can be read once');
      started = true;
      // for-await closes the decoder's generator (and frees libFLAC) when the consumer stops early
      for await (const b of decodeFrames(layout, bytes(), size - layout.audioStart, true)) {
        const mono = new Float32Array(b.frames);
        monoOf(b.channels, b.frames, norm, mono);
        yield mono;
      }
    },
    close: () => fh.close(),
  };
}

/** The header from the file's first bytes, reading more while it is longer than what was read. */
async function readLayout(fh: FileHandle, size: number): Promise<FlacLayout> {
  for (let n = Math.min(size, 1 << 20); ; n = Math.min(size, n * 4)) {
    const head = new Uint8Array(n);
    const { bytesRead } = await fh.read(head, 0, n, 0);
    try {
      return scanFlacHeader(head.subarray(0, bytesRead), { stream: true });
    } catch (err) {
      if (!(err instanceof AudioFileError && err.code === 'TRUNCATED') || bytesRead >= size) throw err;
    }
  }
}

/** Decodes a whole FLAC file held in memory to mono, on the WAV reader's scale. Throws AudioFileError. */
export async function decodeFlac(bytes: Uint8Array): Promise<DecodedAudio> {
  const head = scanFlacHeader(bytes);
  let samples = new Float32Array(head.totalSamples > 0 ? head.totalSamples : 0);
  let n = 0;
  const norm = 1 / 2 ** (head.bitsPerSample - 1);
  const layout = await decodeFlacInto(bytes, (chs, frames) => {
    if (n + frames > samples.length) {
      const grown = new Float32Array(Math.max(n + frames, samples.length * 2));
      grown.set(samples.subarray(0, n));
      samples = grown;
    }
    monoOf(chs, frames, norm, samples.subarray(n, n + frames));
    n += frames;
  });
  if (n !== samples.length) samples = samples.slice(0, n);
  return {
    sampleRate: layout.sampleRate,
    channels: layout.channels,
    bitsPerSample: layout.bitsPerSample,
    format: 'int',
    samples,
    durationSec: n / layout.sampleRate,
  };
}

/** Reads a FLAC file (whole: it is compressed, and capped at 512 MiB) and decodes it. */
export async function readFlacFile(path: string): Promise<DecodedAudio> {
  return decodeFlac(await readWholeFile(path, MAX_FILE_BYTES));
}

/** Reads a file into memory after checking it exists, is a file, and is not larger than `max`. */
export async function readWholeFile(path: string, max: number): Promise<Uint8Array> {
  const { fh, size } = await openChecked(path, max);
  try {
    const buf = new Uint8Array(size);
    const { bytesRead } = await fh.read(buf, 0, size, 0);
    if (bytesRead < size)
      throw new AudioFileError(
        'TRUNCATED',
        `The file ${path} became shorter while it was being read. Copy it again and retry.`,
      );
    return buf;
  } finally {
    await fh.close();
  }
}

/** Opens a file after checking it exists, is a file, and is not larger than `max` (closed again on refusal). */
async function openChecked(path: string, max: number): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read (permission denied)'
          : `cannot be opened (${code ?? String(err)})`;
    throw new AudioFileError('NOT_FOUND', `The file ${path} ${why}. Check the path and that the file is reachable.`);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory())
      throw new AudioFileError(
        'NOT_WAV',
        `${path} is a folder, not an audio file. Give the path of a .wav or .flac file.`,
      );
    if (st.size > max)
      throw new AudioFileError(
        'TOO_LARGE',
        `The file ${path} is ${(st.size / 2 ** 20).toFixed(0)} MiB, more than any recording Auscult analyses in one piece (${max / 2 ** 20} MiB). Split it.`,
      );
    return { fh, size: st.size };
  } catch (err) {
    await fh.close();
    throw err;
  }
}
