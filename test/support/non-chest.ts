/**
 * The generated non-chest inputs of issue 11 (made by train-head's own generator,
 * src/inference/training/non-chest.ts: espeak-ng voices at 16 and 44.1 kHz, sox chords, a 50 Hz hum,
 * white noise, a 1 kHz tone, silence, a 1 s take of a real KAUH recording), each with the reason
 * the gate must give; and a real KAUH asthma recording with speech mixed in 16 dB below it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWav } from '../../src/audio/wav-read.js';
import { encodeWav16 } from '../../src/audio/wav-write.js';
import { KAUH_DIR } from './paths.js';
import {
  SPEECH_TEXT,
  makeNonChestInputs as makeGenerated,
  nonChestToolsMissing,
} from '../../src/inference/training/non-chest.js';

export interface NonChestInput {
  name: string;
  path: string;
  /** The reason the gate must give (matched against statusReasons joined by ' | '). */
  reason: RegExp;
}

/** A skip reason when espeak-ng or sox is missing, else false. */
export function toolsMissing(): string | false {
  return nonChestToolsMissing() ?? false;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

/** A real KAUH recording (asthma, expiratory wheeze, bell mode), 30 s at 4 kHz. */
export const KAUH_ASTHMA = join(KAUH_DIR, 'audio', 'BP2_Asthma,E W,P L L R,52,F.wav');

function rms(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / x.length);
}

/** The reason the gate must give for each generated input (train-head's generator, src/inference/training/non-chest.ts). */
const REASONS: Record<string, RegExp> = {
  'speech-en-16k': /sounds like speech/,
  'speech-female-44k': /sounds like speech/,
  'speech-de-44k': /sounds like speech|does not sound like the chest recordings/,
  'speech-slow-16k': /sounds like speech/,
  'music-chords-44k': /sounds like music/,
  'hum-50hz-16k': /tone, hum or noise/,
  'noise-white-44k': /tone, hum or noise|does not sound like the chest recordings/,
  'tone-1khz-16k': /tone, hum or noise/,
  'silence-16k': /no contact: place the stethoscope on the skin/,
  'take-1s': /^only 1\.0 s of usable sound; record at least 3 s$/,
};

export function makeNonChestInputs(dir: string): NonChestInput[] {
  return makeGenerated(dir, KAUH_ASTHMA).map((g) => ({ name: g.name, path: g.path, reason: REASONS[g.id]! }));
}

/**
 * KAUH_ASTHMA with the US English voice mixed in 16 dB below it (RMS over the speech), over its
 * first seconds; returns the path and where the speech is.
 */
export function makeSpeechOverChest(dir: string): { path: string; speechEndSec: number } {
  const raw = join(dir, 'mix-speech.raw.wav');
  const SPEECH = SPEECH_TEXT;
  const at4k = join(dir, 'mix-speech-4k.wav');
  if (!existsSync(at4k)) {
    run('espeak-ng', ['-v', 'en-us', '-w', raw, SPEECH]);
    run('sox', [raw, '-r', '4000', '-b', '16', at4k]);
  }
  const chest = decodeWav(readFileSync(KAUH_ASTHMA));
  const speech = decodeWav(readFileSync(at4k));
  const gain = (rms(chest.samples) / rms(speech.samples)) * 10 ** (-16 / 20);
  const mixed = Float32Array.from(chest.samples, (v, i) =>
    Math.max(-1, Math.min(1, v + (i < speech.samples.length ? gain * speech.samples[i]! : 0))),
  );
  const path = join(dir, 'kauh-asthma-speech-16db.wav');
  writeFileSync(path, encodeWav16(mixed, chest.sampleRate));
  return { path, speechEndSec: speech.samples.length / speech.sampleRate };
}
