/**
 * Decoding a WAV file for the service (intake, re-analysis, spectrogram, exports): mono float
 * samples in [-1, 1] at the file's own rate, through the audio room's bounded reader
 * (src/audio/wav-read.ts). A file it cannot read becomes an AUDIO ApiError with its reason.
 */
import { AudioFileError, decodeWav, readWavFile, type DecodedAudio } from '../audio/wav-read.js';
import { ApiError } from './errors.js';

export interface DecodedWav {
  samples: Float32Array;
  sampleRate: number;
  channels: number;
}

function toApiError(err: unknown, label: string): unknown {
  if (err instanceof AudioFileError) {
    return new ApiError('AUDIO', `${label} is not a readable WAV file: ${err.message}`, { audioError: err.code });
  }
  return err;
}

const pick = (a: DecodedAudio): DecodedWav => ({ samples: a.samples, sampleRate: a.sampleRate, channels: a.channels });

export function decodeWavBytes(bytes: Uint8Array, label: string): DecodedWav {
  try {
    return pick(decodeWav(bytes));
  } catch (err) {
    throw toApiError(err, label);
  }
}

export async function decodeWavFile(path: string, label = 'The file'): Promise<DecodedWav> {
  try {
    return pick(await readWavFile(path));
  } catch (err) {
    throw toApiError(err, label);
  }
}
