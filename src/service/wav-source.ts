/**
 * Decoding a WAV file for the service (intake, re-analysis, spectrogram, exports): mono float
 * samples in [-1, 1] at the file's own rate, through the audio room's bounded reader
 * (src/audio/wav-read.ts). A file it cannot read is an AudioFileError naming it (the service's
 * error table makes it an AUDIO ApiError).
 */
import { AudioFileError, decodeWav, readWavFile, type DecodedAudio } from '../audio/wav-read.js';

export interface DecodedWav {
  samples: Float32Array;
  sampleRate: number;
  channels: number;
}

function named(err: unknown, label: string): unknown {
  return err instanceof AudioFileError
    ? new AudioFileError(err.code, `${label} is not a readable WAV file: ${err.message}`)
    : err;
}

const pick = (a: DecodedAudio): DecodedWav => ({ samples: a.samples, sampleRate: a.sampleRate, channels: a.channels });

export function decodeWavBytes(bytes: Uint8Array, label: string): DecodedWav {
  try {
    return pick(decodeWav(bytes));
  } catch (err) {
    throw named(err, label);
  }
}

export async function decodeWavFile(path: string, label = 'The file'): Promise<DecodedWav> {
  try {
    return pick(await readWavFile(path));
  } catch (err) {
    throw named(err, label);
  }
}
