/**
 * Reading WAV files: any PCM a stethoscope or another tool produces, mixed to mono float32 in [-1, 1].
 *
 * Three steps, so a hostile or damaged file can never crash, hang or make us allocate gigabytes:
 *  1. `scanWavHeader` walks the RIFF chunks itself with bounds checks (a chunk size is never trusted
 *     before it is compared with the file's real size) and finds `fmt ` and `data`.
 *  2. The `fmt ` chunk is parsed by the `wavefile` library, fed only a tiny synthetic header built from
 *     that chunk (so its own parser never sees the sample data), then validated against our limits.
 *  3. The samples are converted straight from the data bytes into one mono Float32Array, in blocks
 *     (readWavFile reads the file 1 MiB at a time), so memory is the output plus one block. wavefile's
 *     getSamples() is not used for this: it returns Float64 per channel, 8+ bytes per sample.
 *
 * Truncated files (the data chunk announces more bytes than the file holds) are refused with TRUNCATED:
 * the part present is valid audio, but analysing it silently would show a clinician a result for a
 * recording that is not the one on record. The message says how to keep the part that is there.
 * Exceptions, decoded to the end of the file with a warning: a data size of 0xFFFFFFFF or 0 (the
 * placeholders streaming recorders write before they patch the header) and a shortfall of less than
 * one sample frame (a last partial frame is dropped).
 */
import { readSync } from 'node:fs';
import { endianness } from 'node:os';
import { open, type FileHandle } from 'node:fs/promises';
import wavefilePkg from 'wavefile';
import { AudioFileError } from './audio-file-error.js';

export { AudioFileError } from './audio-file-error.js';
export type { AudioFileErrorCode } from './audio-file-error.js';

export interface DecodedAudio {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  format: 'int' | 'float';
  /** Mixed to mono (mean of the channels), in [-1, 1]. */
  samples: Float32Array;
  durationSec: number;
  /** Things a reader should know although the file decoded (e.g. an unfinished header). */
  warnings?: string[];
}

/** What we accept. A file outside these gets UNSUPPORTED or TOO_LARGE, never a huge allocation. */
export const WAV_LIMITS = {
  minSampleRate: 4000,
  maxSampleRate: 192000,
  maxChannels: 64,
  /** One hour: far longer than any auscultation. */
  maxDurationSec: 3600,
  /** 2^27 mono float32 samples = 512 MiB (about 11.6 min at 192 kHz, 50 min at 44.1 kHz). */
  maxSamples: 2 ** 27,
} as const;

/** Everything the decoder needs, found and checked before any sample is touched. */
export interface WavLayout {
  bigEndian: boolean;
  sampleRate: number;
  channels: number;
  /** Significant bits (validBitsPerSample for WAVE_FORMAT_EXTENSIBLE). */
  bitsPerSample: number;
  /** Bytes per sample in the container (24-bit in a 32-bit container: 4). */
  bytesPerSample: number;
  format: 'int' | 'float';
  blockAlign: number;
  dataStart: number;
  /** Whole frames we will decode. */
  frames: number;
  warnings: string[];
}

const FIX_HINT_PCM = 'Export or convert it as PCM WAV, e.g. `sox input.wav -e signed-integer -b 16 output.wav`.';

/** A random-access view of the file: in memory, or an open file read in small pieces. */
interface ByteSource {
  readonly length: number;
  read(pos: number, len: number): Uint8Array;
}

function ascii(bytes: Uint8Array, start: number, len: number): string {
  let s = '';
  for (let i = start; i < start + len && i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function isChunkId(bytes: Uint8Array, start: number): boolean {
  for (let i = start; i < start + 4; i++) {
    const c = bytes[i];
    if (c === undefined || c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** Names a few common non-WAV files so the message can say what to do. */
function sniffOtherFormat(head: Uint8Array): string | undefined {
  const s4 = ascii(head, 0, 4);
  if (s4 === 'OggS') return 'an Ogg (Vorbis/Opus) file';
  if (s4 === 'fLaC') return 'a FLAC file';
  if (s4.startsWith('ID3') || (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0)) return 'an MP3 file';
  if (ascii(head, 4, 4) === 'ftyp') return 'an MP4/M4A file';
  if (s4 === 'FORM') return 'an AIFF file';
  if (s4 === '%PDF') return 'a PDF document';
  return undefined;
}

const SECONDS = (frames: number, rate: number): string => `${(frames / rate).toFixed(1)} s`;

function humanDuration(sec: number): string {
  if (sec < 120) return `${sec.toFixed(1)} s`;
  if (sec < 7200) return `${(sec / 60).toFixed(1)} min`;
  if (sec < 86400 * 3) return `${(sec / 3600).toFixed(1)} h`;
  return `${(sec / 86400 / 365.25).toFixed(1)} years`;
}

interface FmtFields {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
  validBitsPerSample: number;
  subformat: number[];
}

/** Lets wavefile parse the fmt chunk from a minimal header (RIFF + fmt + empty data), never the samples. */
function parseFmtWithWavefile(fmtChunk: Uint8Array, bigEndian: boolean): FmtFields {
  const size = fmtChunk.length;
  const pad = size & 1;
  const buf = new Uint8Array(12 + 8 + size + pad + 8);
  const dv = new DataView(buf.buffer);
  const le = !bigEndian;
  const ascii = new TextEncoder();
  buf.set(ascii.encode(bigEndian ? 'RIFX' : 'RIFF'), 0);
  dv.setUint32(4, buf.length - 8, le);
  buf.set(ascii.encode('WAVEfmt '), 8);
  dv.setUint32(16, size, le);
  buf.set(fmtChunk, 20);
  buf.set(ascii.encode('data'), 20 + size + pad);
  dv.setUint32(24 + size + pad, 0, le);
  const wav = new wavefilePkg.WaveFile();
  wav.fromBuffer(buf, false);
  return wav.fmt as FmtFields;
}

const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

/**
 * A second `data` chunk after the first is refused, not ignored: decoding only the first would
 * analyse a fragment (31 ms in one file we were sent) of what the file holds, and joining them
 * is a guess at what the writer meant. Other chunks after the audio (LIST, id3) are fine; bytes
 * that are not a chunk end the walk (trailing junk was always tolerated).
 */
function assertOneDataChunk(src: ByteSource, from: number, le: boolean): void {
  let pos = from;
  for (let count = 0; count < 10000 && pos + 8 <= src.length; count++) {
    const hdr = src.read(pos, 8);
    if (!isChunkId(hdr, 0)) return;
    if (ascii(hdr, 0, 4) === 'data') {
      throw new AudioFileError(
        'UNSUPPORTED',
        'The file holds more than one block of audio data (two WAV `data` chunks); Auscult reads WAVs with one. ' +
          'Re-export the recording from its software, or join the parts first, e.g. `sox input.wav output.wav`.',
      );
    }
    const size = new DataView(hdr.buffer, hdr.byteOffset, 8).getUint32(4, le);
    pos += 8 + size + (size & 1);
  }
}

/** Walks the chunks, validates the format and the limits. Throws AudioFileError; reads only headers. */
/** `maxSamples`: the whole-array limit; a stream (openWavStream) holds no whole array and passes Infinity. */
function scanWavHeader(src: ByteSource, maxSamples: number = WAV_LIMITS.maxSamples): WavLayout {
  const fileSize = src.length;
  if (fileSize === 0) {
    throw new AudioFileError(
      'EMPTY',
      'The file is empty (0 bytes): nothing was recorded or the copy failed. Record again or copy the file again.',
    );
  }
  const head = src.read(0, Math.min(fileSize, 12));
  const magic = ascii(head, 0, 4);
  if (magic !== 'RIFF' && magic !== 'RIFX' && magic !== 'RF64') {
    const other = sniffOtherFormat(head);
    throw new AudioFileError(
      'NOT_WAV',
      `This is not a WAV file${other ? ` (it looks like ${other})` : ''}. Auscult reads WAV (PCM or float) and FLAC recordings: ` +
        'export the recording from the stethoscope software as WAV or FLAC, or convert it, e.g. `sox input.ext output.wav`.',
    );
  }
  if (fileSize < 12) {
    throw new AudioFileError(
      'TRUNCATED',
      `The file is cut short (${fileSize} bytes, not even a WAV header). Copy it again from the device.`,
    );
  }
  if (ascii(head, 8, 4) !== 'WAVE') {
    throw new AudioFileError(
      'NOT_WAV',
      `This is a ${magic} file but not a WAVE (audio) file. Export the recording as WAV.`,
    );
  }
  const bigEndian = magic === 'RIFX';
  const le = !bigEndian;

  let fmtChunk: Uint8Array | undefined;
  let ds64DataSize: number | undefined;
  let dataStart = -1;
  let declared = 0;
  let placeholder = false;
  let pos = 12;
  let oddPrev = false;
  for (let count = 0; pos + 8 <= fileSize; count++) {
    if (count > 10000) {
      throw new AudioFileError(
        'CORRUPT',
        'The file is damaged: more than 10 000 chunks before the audio data. Export the recording again.',
      );
    }
    let hdr = src.read(pos, 8);
    if (!isChunkId(hdr, 0) && oddPrev && isChunkId(src.read(pos - 1, 8), 0)) {
      // Some writers omit the pad byte after an odd-sized chunk: the next chunk starts one byte early.
      pos -= 1;
      hdr = src.read(pos, 8);
    }
    if (!isChunkId(hdr, 0)) {
      throw new AudioFileError(
        'CORRUPT',
        `The file is damaged: unreadable bytes at offset ${pos} where a WAV chunk should start. Copy or export the recording again.`,
      );
    }
    const id = ascii(hdr, 0, 4);
    const size = new DataView(hdr.buffer, hdr.byteOffset, 8).getUint32(4, le);
    const body = pos + 8;
    if (id === 'data') {
      dataStart = body;
      declared = size;
      if (magic === 'RF64' && size === 0xffffffff && ds64DataSize !== undefined) declared = ds64DataSize;
      else if (size === 0xffffffff) placeholder = true;
      else if (size === 0 && body + 8 <= fileSize) {
        // A real empty data chunk is followed by another chunk; a streaming recorder's placeholder by samples.
        const next = src.read(body, 8);
        const nextSize = new DataView(next.buffer, next.byteOffset, 8).getUint32(4, le);
        placeholder = !(isChunkId(next, 0) && body + 8 + nextSize <= fileSize);
      }
      break;
    }
    if (body + size > fileSize) {
      throw new AudioFileError(
        'TRUNCATED',
        `The file is cut short inside its header ('${id.trim()}' chunk), before any audio data. Copy it again from the device.`,
      );
    }
    if (id === 'fmt ') {
      if (size < 16 || size > 4096) {
        throw new AudioFileError(
          'CORRUPT',
          `The file is damaged: its format chunk has an impossible size (${size} bytes). Export the recording again.`,
        );
      }
      fmtChunk = src.read(body, size).slice();
    } else if (id === 'ds64' && size >= 16) {
      const d = src.read(body, 16);
      const dv = new DataView(d.buffer, d.byteOffset, 16);
      ds64DataSize = dv.getUint32(8, true) + dv.getUint32(12, true) * 2 ** 32;
    }
    oddPrev = (size & 1) === 1;
    pos = body + size + (size & 1);
  }
  if (!fmtChunk) {
    if (dataStart < 0 && pos + 8 > fileSize) {
      throw new AudioFileError(
        'TRUNCATED',
        'The file is cut short: it ends before its format description. Copy it again from the device.',
      );
    }
    throw new AudioFileError(
      'CORRUPT',
      'The file is damaged: it has no format description (fmt chunk) before its audio. Export the recording again.',
    );
  }
  if (dataStart < 0) {
    throw new AudioFileError(
      'TRUNCATED',
      'The file holds a WAV header but no audio data: it was cut short or never finished. Copy it again or record again.',
    );
  }

  let fmt: FmtFields;
  try {
    fmt = parseFmtWithWavefile(fmtChunk, bigEndian);
  } catch (err) {
    throw new AudioFileError(
      'CORRUPT',
      `The file is damaged: its format chunk cannot be read (${(err as Error).message}). Export the recording again.`,
    );
  }
  let code = fmt.audioFormat;
  let bits = fmt.bitsPerSample;
  if (code === 0xfffe) {
    // WAVE_FORMAT_EXTENSIBLE: the real format is in the sub-format GUID's first field.
    const tailOk = fmtChunk.length >= 40 && GUID_TAIL.every((b, i) => fmtChunk[26 + i] === b);
    if (!tailOk) {
      throw new AudioFileError(
        'UNSUPPORTED',
        `The file uses a WAVE_FORMAT_EXTENSIBLE sub-format Auscult does not read. ${FIX_HINT_PCM}`,
      );
    }
    code = fmt.subformat[0] ?? 0;
    if (fmt.validBitsPerSample > 0 && fmt.validBitsPerSample < bits) bits = fmt.validBitsPerSample;
  }
  const names: Record<number, string> = { 2: 'MS ADPCM', 6: 'A-law', 7: 'µ-law', 0x11: 'IMA ADPCM', 0x55: 'MP3' };
  if (code !== 1 && code !== 3) {
    const what = names[code] ?? `format code ${code}`;
    throw new AudioFileError(
      'UNSUPPORTED',
      `The file is a compressed WAV (${what}); Auscult reads uncompressed PCM or float WAV. ${FIX_HINT_PCM}`,
    );
  }
  const format: 'int' | 'float' = code === 3 ? 'float' : 'int';
  const channels = fmt.numChannels;
  const rate = fmt.sampleRate;
  const containerBits = fmt.bitsPerSample;
  const bytesPerSample = containerBits / 8;
  if (channels < 1)
    throw new AudioFileError(
      'CORRUPT',
      'The file is damaged: its header declares 0 channels. Export the recording again.',
    );
  if (channels > WAV_LIMITS.maxChannels) {
    throw new AudioFileError(
      'UNSUPPORTED',
      `The file has ${channels} channels; Auscult reads up to ${WAV_LIMITS.maxChannels}. Mix it down, e.g. \`sox input.wav -c 1 output.wav\`.`,
    );
  }
  const intOk = format === 'int' && [8, 16, 24, 32].includes(containerBits);
  const floatOk = format === 'float' && (containerBits === 32 || containerBits === 64);
  if ((!intOk && !floatOk) || bits < 1 || bits > containerBits) {
    throw new AudioFileError(
      'UNSUPPORTED',
      `The file stores ${bits}-bit ${format === 'float' ? 'float' : 'integer'} samples in ${containerBits}-bit words; Auscult reads 8/16/24/32-bit integer and 32/64-bit float. ${FIX_HINT_PCM}`,
    );
  }
  if (!(rate >= WAV_LIMITS.minSampleRate && rate <= WAV_LIMITS.maxSampleRate)) {
    throw new AudioFileError(
      'UNSUPPORTED',
      `The file's sample rate (${rate} Hz) is outside what Auscult reads (4 kHz to 192 kHz). ` +
        'Check the stethoscope settings, or convert it, e.g. `sox input.wav -r 16000 output.wav`.',
    );
  }
  const blockAlign = channels * bytesPerSample;
  if (fmt.blockAlign !== blockAlign) {
    throw new AudioFileError(
      'CORRUPT',
      `The file is damaged: its header's frame size (${fmt.blockAlign} bytes) does not match ${channels} channel(s) of ${containerBits}-bit samples. Export the recording again.`,
    );
  }

  const available = fileSize - dataStart;
  const warnings: string[] = [];
  let usable: number;
  if (placeholder) {
    usable = available;
    warnings.push(
      `The WAV header was never finished (the recorder did not write the data length); decoded the ${SECONDS(Math.floor(available / blockAlign), rate)} present in the file.`,
    );
  } else if (declared <= available) {
    usable = declared;
  } else {
    const declaredFrames = Math.floor(declared / blockAlign);
    const declaredSec = declaredFrames / rate;
    if (declaredSec > WAV_LIMITS.maxDurationSec || declaredFrames > maxSamples) {
      throw new AudioFileError(
        'CORRUPT',
        `The file is damaged: its header claims ${declaredFrames.toExponential(2)} samples (${humanDuration(declaredSec)}) but the file holds only ${available} bytes of audio. Export or copy the recording again.`,
      );
    }
    if (declared - available < blockAlign) {
      usable = available;
    } else {
      const present = Math.floor(available / blockAlign);
      throw new AudioFileError(
        'TRUNCATED',
        `The file is cut short: its header announces ${SECONDS(declaredFrames, rate)} of audio but only ${SECONDS(present, rate)} are present ` +
          '(an incomplete copy or download, or the recorder stopped without finishing the file). Copy it again from the device; ' +
          'to analyse only the part that is there, repair it first, e.g. `sox --ignore-length input.wav repaired.wav`.',
      );
    }
  }
  if (!placeholder) assertOneDataChunk(src, dataStart + usable + (usable & 1), le);
  const frames = Math.floor(usable / blockAlign);
  const seconds = frames / rate;
  if (seconds > WAV_LIMITS.maxDurationSec || frames > maxSamples) {
    throw new AudioFileError(
      'TOO_LARGE',
      `The recording is too long to analyse in one piece (${humanDuration(seconds)} at ${rate} Hz; the limit is ` +
        `${WAV_LIMITS.maxDurationSec / 60} min and ${WAV_LIMITS.maxSamples} samples). Split it, e.g. \`sox input.wav part.wav trim 0 600 : newfile : restart\`.`,
    );
  }
  if (frames === 0) {
    throw new AudioFileError(
      'EMPTY',
      'The file contains no audio (its data is empty): nothing was recorded. Record again.',
    );
  }
  return {
    bigEndian,
    sampleRate: rate,
    channels,
    bitsPerSample: bits,
    bytesPerSample,
    format,
    blockAlign,
    dataStart,
    frames,
    warnings,
  };
}

/** What decoding found along the way (reported as a warning, never silently). */
interface DecodeCounts {
  /** Float samples beyond full scale (|x| > 1), clipped to ±1. */
  clipped: number;
}

function clippedWarning(counts: DecodeCounts): string[] {
  return counts.clipped > 0
    ? [`${counts.clipped} float sample(s) were beyond full scale (±1.0) and were clipped to it.`]
    : [];
}

/** Typed arrays read in the host's byte order: a WAV's little-endian samples can be viewed directly on such a host. */
const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/**
 * Converts whole frames from `bytes` (starting at a frame boundary) into mono samples at out[outPos...].
 * Returns the number of frames written. One loop per format keeps the hot path branch-free.
 */
function decodeFrames(
  layout: WavLayout,
  bytes: Uint8Array,
  out: Float32Array,
  outPos: number,
  counts: DecodeCounts,
): number {
  const { channels, bytesPerSample, blockAlign, format } = layout;
  const le = !layout.bigEndian;
  const frames = Math.floor(bytes.length / blockAlign);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const inv = 1 / channels;
  let p = 0;
  if (format === 'float') {
    let bad = false;
    for (let f = 0; f < frames; f++) {
      let acc = 0;
      for (let c = 0; c < channels; c++, p += bytesPerSample) {
        const x = bytesPerSample === 4 ? dv.getFloat32(p, le) : dv.getFloat64(p, le);
        // NaN and ±Inf are not sound; one also poisons every sum it enters (Inf + -Inf = NaN).
        if (!Number.isFinite(x)) bad = true;
        acc += x;
      }
      let v = acc * inv;
      if (v > 1 || v < -1) {
        counts.clipped++;
        v = v > 1 ? 1 : -1;
      }
      out[outPos + f] = v;
    }
    if (bad) {
      throw new AudioFileError(
        'CORRUPT',
        'The file is damaged: it contains invalid sample values (NaN or infinity), which no recorder writes. Export the recording again.',
      );
    }
    return frames;
  }
  switch (bytesPerSample) {
    case 1:
      for (let f = 0; f < frames; f++) {
        let acc = 0;
        for (let c = 0; c < channels; c++, p++) acc += bytes[p]! - 128;
        out[outPos + f] = (acc * inv) / 128;
      }
      break;
    case 2:
      if (channels === 1 && le && LITTLE_ENDIAN_HOST && bytes.byteOffset % 2 === 0) {
        // mono 16-bit, the common case: the same value as below ((x · 1) / 32768, exact), without a
        // DataView call per sample
        const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, frames);
        for (let f = 0; f < frames; f++) out[outPos + f] = pcm[f]! / 32768;
        break;
      }
      for (let f = 0; f < frames; f++) {
        let acc = 0;
        for (let c = 0; c < channels; c++, p += 2) acc += dv.getInt16(p, le);
        out[outPos + f] = (acc * inv) / 32768;
      }
      break;
    case 3:
      for (let f = 0; f < frames; f++) {
        let acc = 0;
        for (let c = 0; c < channels; c++, p += 3) {
          const b0 = bytes[p]!,
            b1 = bytes[p + 1]!,
            b2 = bytes[p + 2]!;
          acc += le ? ((b2 << 24) | (b1 << 16) | (b0 << 8)) >> 8 : ((b0 << 24) | (b1 << 16) | (b2 << 8)) >> 8;
        }
        out[outPos + f] = (acc * inv) / 8388608;
      }
      break;
    default:
      for (let f = 0; f < frames; f++) {
        let acc = 0;
        for (let c = 0; c < channels; c++, p += 4) acc += dv.getInt32(p, le);
        out[outPos + f] = (acc * inv) / 2147483648;
      }
  }
  return frames;
}

function result(layout: WavLayout, samples: Float32Array): DecodedAudio {
  const decoded: DecodedAudio = {
    sampleRate: layout.sampleRate,
    channels: layout.channels,
    bitsPerSample: layout.bitsPerSample,
    format: layout.format,
    samples,
    durationSec: samples.length / layout.sampleRate,
  };
  if (layout.warnings.length > 0) decoded.warnings = layout.warnings;
  return decoded;
}

function memorySource(bytes: Uint8Array): ByteSource {
  return {
    length: bytes.length,
    read: (pos, len) => bytes.subarray(pos, Math.min(bytes.length, pos + len)),
  };
}

/** Decodes a whole WAV file held in memory. Throws AudioFileError for anything it cannot read. */
export function decodeWav(bytes: Uint8Array): DecodedAudio {
  const layout = scanWavHeader(memorySource(bytes));
  const samples = new Float32Array(layout.frames);
  const counts: DecodeCounts = { clipped: 0 };
  decodeFrames(
    layout,
    bytes.subarray(layout.dataStart, layout.dataStart + layout.frames * layout.blockAlign),
    samples,
    0,
    counts,
  );
  return result({ ...layout, warnings: [...layout.warnings, ...clippedWarning(counts)] }, samples);
}

const BLOCK_BYTES = 1 << 20;

/**
 * Checks a WAV file's header and limits without reading its samples (bounded memory and time,
 * whatever the file's size, a sparse 3 GB file included). Throws AudioFileError as readWavFile does.
 */
export async function probeWavFile(path: string): Promise<{ bytes: number; layout: WavLayout }> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AudioFileError(
      'NOT_FOUND',
      `The file ${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be opened (${code ?? String(err)})`}. Check the path.`,
    );
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory())
      throw new AudioFileError('NOT_WAV', `${path} is a folder, not a WAV file. Give the path of a .wav file.`);
    const layout = scanWavHeader({
      length: st.size,
      read: (pos, len) => {
        const buf = new Uint8Array(Math.max(0, Math.min(len, st.size - pos)));
        if (buf.length > 0) readSync(fh.fd, buf, 0, buf.length, pos);
        return buf;
      },
    });
    return { bytes: st.size, layout };
  } finally {
    await fh.close();
  }
}

/**
 * Reads and decodes a WAV file. The header and the limits are checked before any sample data is read;
 * then the data is read in 1 MiB blocks straight into the mono output.
 */
export async function readWavFile(path: string): Promise<DecodedAudio> {
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
      throw new AudioFileError('NOT_WAV', `${path} is a folder, not a WAV file. Give the path of a .wav file.`);
    const src: ByteSource = {
      length: st.size,
      // Header reads are a few small pieces: synchronous reads keep the chunk walker simple.
      read: (pos, len) => {
        const buf = new Uint8Array(Math.max(0, Math.min(len, st.size - pos)));
        if (buf.length > 0) readSync(fh.fd, buf, 0, buf.length, pos);
        return buf;
      },
    };
    const layout = scanWavHeader(src);
    const samples = new Float32Array(layout.frames);
    const blockFrames = Math.max(1, Math.floor(BLOCK_BYTES / layout.blockAlign));
    const block = new Uint8Array(blockFrames * layout.blockAlign);
    const counts: DecodeCounts = { clipped: 0 };
    let done = 0;
    while (done < layout.frames) {
      const n = Math.min(blockFrames, layout.frames - done);
      const want = n * layout.blockAlign;
      const { bytesRead } = await fh.read(block, 0, want, layout.dataStart + done * layout.blockAlign);
      if (bytesRead < want) {
        throw new AudioFileError(
          'TRUNCATED',
          `The file ${path} became shorter while it was being read. Copy it again and retry.`,
        );
      }
      done += decodeFrames(layout, block.subarray(0, want), samples, done, counts);
    }
    return result({ ...layout, warnings: [...layout.warnings, ...clippedWarning(counts)] }, samples);
  } finally {
    await fh.close();
  }
}

/** A WAV file read block by block (openWavStream): its format first, then mono samples in chunks. */
export interface WavStream {
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
  readonly format: 'int' | 'float';
  readonly frames: number;
  readonly durationSec: number;
  /** The header's warnings, then (once the chunks are read) float samples clipped to full scale. */
  readonly warnings: string[];
  /** Mono samples in [-1, 1], about `blockBytes` of file at a time; each chunk is a fresh array. */
  chunks(): AsyncGenerator<Float32Array>;
  close(): Promise<void>;
}

/**
 * Opens a WAV file for reading in blocks, in bounded memory whatever its length (a 60-minute
 * recording at 48 kHz is 330 MB of samples as one array; here one 1 MiB block). The same header
 * checks and sample conversion as readWavFile, except the whole-array sample limit, which a stream
 * does not need (the one-hour limit stays). Throws AudioFileError as readWavFile does.
 */
export async function openWavStream(path: string, opts: { blockBytes?: number } = {}): Promise<WavStream> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AudioFileError(
      'NOT_FOUND',
      `The file ${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be opened (${code ?? String(err)})`}. Check the path.`,
    );
  }
  let layout: WavLayout;
  try {
    const st = await fh.stat();
    if (st.isDirectory())
      throw new AudioFileError('NOT_WAV', `${path} is a folder, not a WAV file. Give the path of a .wav file.`);
    layout = scanWavHeader(
      {
        length: st.size,
        read: (pos, len) => {
          const buf = new Uint8Array(Math.max(0, Math.min(len, st.size - pos)));
          if (buf.length > 0) readSync(fh.fd, buf, 0, buf.length, pos);
          return buf;
        },
      },
      Infinity,
    );
  } catch (err) {
    await fh.close();
    throw err;
  }
  const l = layout;
  const warnings = [...l.warnings];
  const blockFrames = Math.max(1, Math.floor((opts.blockBytes ?? BLOCK_BYTES) / l.blockAlign));
  return {
    sampleRate: l.sampleRate,
    channels: l.channels,
    bitsPerSample: l.bitsPerSample,
    format: l.format,
    frames: l.frames,
    durationSec: l.frames / l.sampleRate,
    warnings,
    async *chunks() {
      const block = new Uint8Array(blockFrames * l.blockAlign);
      const counts: DecodeCounts = { clipped: 0 };
      let done = 0;
      while (done < l.frames) {
        const n = Math.min(blockFrames, l.frames - done);
        const want = n * l.blockAlign;
        const { bytesRead } = await fh.read(block, 0, want, l.dataStart + done * l.blockAlign);
        if (bytesRead < want)
          throw new AudioFileError(
            'TRUNCATED',
            `The file ${path} became shorter while it was being read. Copy it again and retry.`,
          );
        const out = new Float32Array(n);
        done += decodeFrames(l, block.subarray(0, want), out, 0, counts);
        yield out;
      }
      warnings.push(...clippedWarning(counts));
    },
    close: () => fh.close(),
  };
}
