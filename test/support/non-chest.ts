/**
 * The generated non-chest inputs of issue 11, made with the real tools a person would use:
 * espeak-ng voices (resampled by sox to 16 and 44.1 kHz), sox chords, a 50 Hz hum, white noise, a
 * 1 kHz tone, digital silence, a 1 s take of a real KAUH recording, and a real KAUH asthma
 * recording with speech mixed in 16 dB below it. Each with the reason the gate must give.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWav } from '../../src/audio/wav-read.js';
import { encodeWav16 } from '../../src/audio/wav-write.js';
import { KAUH_DIR } from './paths.js';

export interface NonChestInput {
  name: string;
  path: string;
  /** The reason the gate must give (matched against statusReasons joined by ' | '). */
  reason: RegExp;
}

const SPEECH =
  'Please take a deep breath in, and breathe out slowly through your mouth. Now cough once, and breathe normally. ' +
  'The quick brown fox jumps over the lazy dog, again and again, while I keep talking about the weather today.';

/** A skip reason when espeak-ng or sox is missing, else false. */
export function toolsMissing(): string | false {
  for (const [tool, arg] of [
    ['espeak-ng', '--version'],
    ['sox', '--version'],
  ] as const)
    if (spawnSync(tool, [arg]).status !== 0)
      return `${tool} is not installed (setup.sh installs it: apt-get install ${tool})`;
  return false;
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

export function makeNonChestInputs(dir: string): NonChestInput[] {
  const p = (n: string) => join(dir, n);
  const voice = (name: string, voiceName: string, rate: number, speed = 175) => {
    const raw = p(`${name}.raw.wav`);
    run('espeak-ng', ['-v', voiceName, '-s', String(speed), '-w', raw, SPEECH]);
    run('sox', [raw, '-r', String(rate), p(`${name}.wav`)]);
  };
  voice('speech-en-16k', 'en-us', 16000);
  voice('speech-female-44k', 'en+f3', 44100);
  voice('speech-de-44k', 'de', 44100);
  voice('speech-slow-16k', 'en+m3', 16000, 130);
  // C, F, G and C major chords, plucked, 3 s each
  run('sox', [
    '-n', '-r', '44100', '-b', '16', p('music-chords-44k.wav'),
    'synth', '3', 'pluck', 'C4', 'pluck', 'E4', 'pluck', 'G4', ':',
    'synth', '3', 'pluck', 'F4', 'pluck', 'A4', 'pluck', 'C5', ':',
    'synth', '3', 'pluck', 'G4', 'pluck', 'B4', 'pluck', 'D5', ':',
    'synth', '3', 'pluck', 'C4', 'pluck', 'E4', 'pluck', 'G4', 'remix', '-', 'gain', '-6',
  ]); // prettier-ignore
  run('sox', ['-n', '-r', '16000', '-b', '16', p('hum-50hz-16k.wav'), 'synth', '10', 'sine', '50', 'gain', '-10']);
  run('sox', ['-n', '-r', '44100', '-b', '16', p('noise-white-44k.wav'), 'synth', '10', 'whitenoise', 'gain', '-12']);
  run('sox', ['-n', '-r', '16000', '-b', '16', p('tone-1khz-16k.wav'), 'synth', '10', 'sine', '1000', 'gain', '-10']);
  run('sox', ['-n', '-r', '16000', '-b', '16', p('silence-16k.wav'), 'trim', '0', '10']);
  const kauh = decodeWav(readFileSync(KAUH_ASTHMA));
  writeFileSync(p('take-1s-4k.wav'), encodeWav16(kauh.samples.subarray(0, kauh.sampleRate), kauh.sampleRate));
  return [
    { name: 'speech, US English voice, 16 kHz', path: p('speech-en-16k.wav'), reason: /sounds like speech/ },
    { name: 'speech, female voice, 44.1 kHz', path: p('speech-female-44k.wav'), reason: /sounds like speech/ },
    {
      name: 'speech, German voice, 44.1 kHz',
      path: p('speech-de-44k.wav'),
      reason: /sounds like speech|does not sound like the chest recordings/,
    },
    { name: 'speech, slow male voice, 16 kHz', path: p('speech-slow-16k.wav'), reason: /sounds like speech/ },
    { name: 'music (chords), 44.1 kHz', path: p('music-chords-44k.wav'), reason: /sounds like music/ },
    { name: '50 Hz hum', path: p('hum-50hz-16k.wav'), reason: /tone, hum or noise/ },
    {
      name: 'white noise, 44.1 kHz',
      path: p('noise-white-44k.wav'),
      reason: /tone, hum or noise|does not sound like the chest recordings/,
    },
    { name: '1 kHz tone', path: p('tone-1khz-16k.wav'), reason: /tone, hum or noise/ },
    { name: 'silence', path: p('silence-16k.wav'), reason: /no contact: place the stethoscope on the skin/ },
    {
      name: 'a 1 s take of a real recording',
      path: p('take-1s-4k.wav'),
      reason: /^only 1\.0 s of usable sound; record at least 3 s$/,
    },
  ];
}

/**
 * KAUH_ASTHMA with the US English voice mixed in 16 dB below it (RMS over the speech), over its
 * first seconds; returns the path and where the speech is.
 */
export function makeSpeechOverChest(dir: string): { path: string; speechEndSec: number } {
  const raw = join(dir, 'mix-speech.raw.wav');
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
