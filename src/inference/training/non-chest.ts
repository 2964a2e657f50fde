/**
 * The generated non-chest inputs of issue 11, made with the tools a person would use (Debian's
 * espeak-ng and sox, which setup.sh installs): four espeak-ng voices at 16 and 44.1 kHz, sox
 * chords, a 50 Hz hum, white noise, a 1 kHz tone, digital silence, and a 1 s take of a real
 * recording. train-head puts each through the gate it fitted and writes the count to the card;
 * the tests put each through the engine, the CLI and the service.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWav } from '../../audio/wav-read.js';
import { encodeWav16 } from '../../audio/wav-write.js';

export const SPEECH_TEXT =
  'Please take a deep breath in, and breathe out slowly through your mouth. Now cough once, and breathe normally. ' +
  'The quick brown fox jumps over the lazy dog, again and again, while I keep talking about the weather today.';

export interface GeneratedInput {
  /** Stable id (the file's base name). */
  id: string;
  name: string;
  path: string;
}

/** Why the inputs cannot be made here (a missing tool), or null. */
export function nonChestToolsMissing(): string | null {
  for (const [tool, arg] of [
    ['espeak-ng', '--version'],
    ['sox', '--version'],
  ] as const)
    if (spawnSync(tool, [arg]).status !== 0)
      return `${tool} is not installed (setup.sh installs it: apt-get install ${tool})`;
  return null;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

/** Writes the inputs into `dir`; `realWav` (a chest recording) gives the 1 s take. */
export function makeNonChestInputs(dir: string, realWav: string): GeneratedInput[] {
  const p = (n: string) => join(dir, `${n}.wav`);
  const voice = (id: string, voiceName: string, rate: number, speed = 175) => {
    const raw = join(dir, `${id}.raw.wav`);
    run('espeak-ng', ['-v', voiceName, '-s', String(speed), '-w', raw, SPEECH_TEXT]);
    run('sox', [raw, '-r', String(rate), p(id)]);
  };
  voice('speech-en-16k', 'en-us', 16000);
  voice('speech-female-44k', 'en+f3', 44100);
  voice('speech-de-44k', 'de', 44100);
  voice('speech-slow-16k', 'en+m3', 16000, 130);
  // C, F, G and C major chords, plucked, 3 s each
  run('sox', [
    '-n', '-r', '44100', '-b', '16', p('music-chords-44k'),
    'synth', '3', 'pluck', 'C4', 'pluck', 'E4', 'pluck', 'G4', ':',
    'synth', '3', 'pluck', 'F4', 'pluck', 'A4', 'pluck', 'C5', ':',
    'synth', '3', 'pluck', 'G4', 'pluck', 'B4', 'pluck', 'D5', ':',
    'synth', '3', 'pluck', 'C4', 'pluck', 'E4', 'pluck', 'G4', 'remix', '-', 'gain', '-6',
  ]); // prettier-ignore
  run('sox', ['-n', '-r', '16000', '-b', '16', p('hum-50hz-16k'), 'synth', '10', 'sine', '50', 'gain', '-10']);
  run('sox', ['-n', '-r', '44100', '-b', '16', p('noise-white-44k'), 'synth', '10', 'whitenoise', 'gain', '-12']);
  run('sox', ['-n', '-r', '16000', '-b', '16', p('tone-1khz-16k'), 'synth', '10', 'sine', '1000', 'gain', '-10']);
  run('sox', ['-n', '-r', '16000', '-b', '16', p('silence-16k'), 'trim', '0', '10']);
  const real = decodeWav(readFileSync(realWav));
  writeFileSync(p('take-1s'), encodeWav16(real.samples.subarray(0, real.sampleRate), real.sampleRate));
  return [
    { id: 'speech-en-16k', name: 'speech, US English voice, 16 kHz' },
    { id: 'speech-female-44k', name: 'speech, female voice, 44.1 kHz' },
    { id: 'speech-de-44k', name: 'speech, German voice, 44.1 kHz' },
    { id: 'speech-slow-16k', name: 'speech, slow male voice, 16 kHz' },
    { id: 'music-chords-44k', name: 'music (chords), 44.1 kHz' },
    { id: 'hum-50hz-16k', name: '50 Hz hum' },
    { id: 'noise-white-44k', name: 'white noise, 44.1 kHz' },
    { id: 'tone-1khz-16k', name: '1 kHz tone' },
    { id: 'silence-16k', name: 'silence' },
    { id: 'take-1s', name: 'a 1 s take of a real recording' },
  ].map((x) => ({ ...x, path: p(x.id) }));
}
