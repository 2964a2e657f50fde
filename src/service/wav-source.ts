/**
 * Decoding a recording for the service (intake, re-analysis, spectrogram, exports): mono float
 * samples in [-1, 1] at the file's own rate, through the audio room's bounded readers
 * (src/audio/wav-read.ts, flac-read.ts). A file it cannot read is an AudioFileError naming it (the
 * service's error table makes it an AUDIO ApiError). Stored recordings are always WAV; an uploaded or
 * imported FLAC (recognised by content) is converted losslessly to WAV before it is stored (toStoredWav).
 */
import { toStoredWav } from '../audio/audio-read.js';
import { AudioFileError, decodeWav, readWavFile, type DecodedAudio } from '../audio/wav-read.js';

export interface DecodedWav {
  samples: Float32Array;
  sampleRate: number;
  channels: number;
}

function named(err: unknown, label: string, what = 'a readable WAV file'): unknown {
  return err instanceof AudioFileError ? new AudioFileError(err.code, `${label} is not ${what}: ${err.message}`) : err;
}

const pick = (a: DecodedAudio): DecodedWav => ({ samples: a.samples, sampleRate: a.sampleRate, channels: a.channels });

export function decodeWavBytes(bytes: Uint8Array, label: string): DecodedWav {
  try {
    return pick(decodeWav(bytes));
  } catch (err) {
    throw named(err, label);
  }
}

/** An incoming recording (WAV or FLAC, by content) as the store will keep it: WAV bytes and their samples. */
export async function decodeIncomingRecording(
  bytes: Uint8Array,
  label: string,
): Promise<{ wav: Uint8Array; audio: DecodedWav; container: 'wav' | 'flac' }> {
  try {
    const r = await toStoredWav(bytes);
    return { wav: r.wav, audio: pick(r.audio), container: r.container };
  } catch (err) {
    throw named(err, label, 'a readable WAV or FLAC file');
  }
}

export async function decodeWavFile(path: string, label = 'The file'): Promise<DecodedWav> {
  try {
    return pick(await readWavFile(path));
  } catch (err) {
    throw named(err, label);
  }
}
