/**
 * Reading a recording whatever its container: WAV (wav-read.ts) or FLAC (flac-read.ts), chosen by the
 * file's content, never by its name. Everything that reads a recording (analyze, import, the API's
 * upload, training) comes through here, so both formats get the same limits and coded errors.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { AudioFileError } from './audio-file-error.js';
import { isFlac } from './flac-magic.js';
import { decodeWav, openWavStream, readWavFile, type DecodedAudio } from './wav-read.js';
import { encodePcmWav } from './wav-write.js';

export type AudioContainer = 'wav' | 'flac';

// The FLAC decoder (libFLAC in WASM + codec-parser, 30–130 ms of imports) loads only for a FLAC file.
const flac = () => import('./flac-read.js');

export function containerOf(head: Uint8Array): AudioContainer {
  return isFlac(head) ? 'flac' : 'wav';
}

/** Decodes a WAV or FLAC file held in memory. Throws AudioFileError for anything it cannot read. */
export async function decodeAudio(bytes: Uint8Array): Promise<DecodedAudio & { container: AudioContainer }> {
  const container = containerOf(bytes);
  const audio = container === 'flac' ? await (await flac()).decodeFlac(bytes) : decodeWav(bytes);
  return { ...audio, container };
}

function sniff(path: string): Uint8Array {
  const head = new Uint8Array(4);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return head; // the WAV reader gives the NOT_FOUND message for every way opening can fail
  }
  try {
    readSync(fd, head, 0, 4, 0);
  } catch {
    /* a folder or unreadable file: the WAV reader says which */
  } finally {
    closeSync(fd);
  }
  return head;
}

/** WAV or FLAC, by the file's first bytes (a WAV's problems are then reported by its reader). */
export function containerOfFile(path: string): AudioContainer {
  return containerOf(sniff(path));
}

/** Reads and decodes a WAV or FLAC file. */
export async function readAudio(path: string): Promise<DecodedAudio & { container: AudioContainer }> {
  const container = containerOf(sniff(path));
  const audio = container === 'flac' ? await (await flac()).readFlacFile(path) : await readWavFile(path);
  return { ...audio, container };
}

/** A recording opened for reading in bounded memory: chunks of mono samples (openWavStream's or openFlacStream's). */
export interface AudioStream {
  readonly sampleRate: number;
  /** Samples per channel the header declares (0: a FLAC that does not say). */
  readonly frames: number;
  readonly warnings: string[];
  chunks(): AsyncGenerator<Float32Array>;
  close(): Promise<void>;
}

/** Opens a WAV or FLAC file (by content) as an AudioStream. Throws AudioFileError as the readers do. */
export async function openAudioStream(
  path: string,
  opts: { blockBytes?: number } = {},
): Promise<AudioStream & { container: AudioContainer }> {
  const container = containerOf(sniff(path));
  const stream = container === 'flac' ? await (await flac()).openFlacStream(path) : await openWavStream(path, opts);
  return Object.assign(stream, { container });
}

/**
 * The bytes the store keeps for an uploaded recording: a WAV as it came, a FLAC converted losslessly to
 * PCM WAV (same integers, channels and rate), because the record, the player, the exports and the signed
 * seal are all defined on WAV. Decoding the result gives exactly the samples the FLAC decodes to.
 */
export async function toStoredWav(
  bytes: Uint8Array,
): Promise<{ wav: Uint8Array; audio: DecodedAudio; container: AudioContainer }> {
  if (containerOf(bytes) === 'wav') return { wav: bytes, audio: decodeWav(bytes), container: 'wav' };
  const parts: Int32Array[][] = [];
  const layout = await (await flac()).decodeFlacInto(bytes, (chs) => parts.push(chs));
  const channels = Array.from({ length: layout.channels }, (_, c) => {
    const all = new Int32Array(layout.frames);
    let p = 0;
    for (const part of parts) {
      all.set(part[c]!, p);
      p += part[c]!.length;
    }
    return all;
  });
  const wav = encodePcmWav(channels, layout.sampleRate, layout.bitsPerSample);
  return { wav, audio: decodeWav(wav), container: 'flac' };
}

export { AudioFileError };
