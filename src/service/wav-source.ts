/**
 * Decoding a WAV file for the service (intake, re-analysis, spectrogram): mono float samples in
 * [-1, 1] at the file's own rate. A file that is not a readable WAV becomes an AUDIO ApiError.
 */
import { readFile } from 'node:fs/promises';
import wavefile from 'wavefile';
import { ApiError } from './errors.js';

export interface DecodedWav {
  samples: Float32Array;
  sampleRate: number;
  channels: number;
}

export function decodeWavBytes(bytes: Uint8Array, label: string): DecodedWav {
  let wav: InstanceType<typeof wavefile.WaveFile>;
  try {
    wav = new wavefile.WaveFile(bytes);
  } catch (err) {
    throw new ApiError('AUDIO', `${label} is not a readable WAV file (${err instanceof Error ? err.message : String(err)}). Choose a .wav recording.`);
  }
  const fmt = wav.fmt as { sampleRate: number; numChannels: number; bitsPerSample: number; audioFormat: number };
  if (!fmt.sampleRate || !fmt.numChannels) throw new ApiError('AUDIO', `${label} has no audio format header; it is not a usable WAV file.`);
  const bits = fmt.bitsPerSample;
  const isFloat = fmt.audioFormat === 3;
  // getSamples returns raw integer (or float) values per channel; scale to [-1, 1].
  const raw = wav.getSamples(false, Float64Array) as unknown as Float64Array | Float64Array[];
  const chans: Float64Array[] = Array.isArray(raw) ? raw : [raw];
  const n = chans[0]?.length ?? 0;
  const out = new Float32Array(n);
  const scale = isFloat ? 1 : bits === 8 ? 128 : 2 ** (bits - 1);
  const offset = !isFloat && bits === 8 ? 128 : 0;
  for (const ch of chans) for (let i = 0; i < n; i++) out[i]! += (ch[i]! - offset) / scale / chans.length;
  return { samples: out, sampleRate: fmt.sampleRate, channels: chans.length };
}

export async function decodeWavFile(path: string, label = 'The file'): Promise<DecodedWav> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new ApiError('AUDIO', `${label} could not be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).`);
  }
  return decodeWavBytes(bytes, label);
}
