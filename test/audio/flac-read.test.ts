/**
 * FLAC reading against real files: SPRSound's recordings and FLACs written by sox (an independent
 * encoder) in the formats we claim, compared with sox's own WAV of the same audio; then damaged files
 * built byte by byte from a real one (cut short, bits flipped, a lying header).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AudioFileError } from '../../src/audio/audio-file-error.js';
import { decodeAudio, openAudioStream, readAudio, toStoredWav } from '../../src/audio/audio-read.js';
import { decodeFlac } from '../../src/audio/flac-read.js';
import { decodeWav } from '../../src/audio/wav-read.js';
import { SPRSOUND_DIR, scratchDir, sprsoundMissing } from '../support/paths.js';
import { hasSox, noise, sine, sox } from './signals.js';

const dir = scratchDir('auscult-flac-');
const skip = sprsoundMissing() || (hasSox() ? false : 'sox is not installed (apt-get install sox)');
const REAL = join(SPRSOUND_DIR, 'audio', 'train2022', '40069321_15.3_0_p2_982.flac');

async function expectError(p: Promise<unknown>, code: string, messagePart?: RegExp): Promise<AudioFileError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AudioFileError, `expected AudioFileError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (messagePart) assert.match(err.message, messagePart);
    return err;
  }
  assert.fail(`expected AudioFileError ${code}, nothing was thrown`);
}

test('a real SPRSound FLAC decodes to exactly the samples of sox’s WAV of it', { skip }, async () => {
  const wavPath = join(dir, 'real.wav');
  sox([REAL, wavPath]);
  const flac = await readAudio(REAL);
  const wav = decodeWav(readFileSync(wavPath));
  assert.equal(flac.container, 'flac');
  assert.equal(flac.sampleRate, 4000);
  assert.equal(flac.bitsPerSample, 16);
  assert.equal(flac.samples.length, wav.samples.length);
  assert.deepEqual(flac.samples, wav.samples);
});

test('24-bit, 12-bit and stereo FLAC equal the WAV of the same audio, sample for sample', { skip }, async () => {
  const src = join(dir, 'src.wav');
  // a stereo signal with different channels, so the mix-down is checked too
  const l = sine(8000, 8000, 440, 0.4);
  const r = noise(8000, 0.3, 5);
  const inter = new Float32Array(16000);
  for (let i = 0; i < 8000; i++) {
    inter[2 * i] = l[i]!;
    inter[2 * i + 1] = r[i]!;
  }
  writeFileSync(join(dir, 'src.f32'), Buffer.from(inter.buffer));
  sox(['-t', 'f32', '-r', '8000', '-c', '2', join(dir, 'src.f32'), '-b', '24', src]);
  for (const [name, args] of [
    ['24-bit stereo', ['-b', '24']],
    ['16-bit mono', ['-b', '16', '-c', '1']],
    ['12-bit mono', ['-b', '12', '-c', '1']],
  ] as const) {
    const f = join(dir, `${name}.flac`);
    const w = join(dir, `${name}.wav`);
    sox([src, ...args, f]);
    sox([f, w]);
    const a = await readAudio(f);
    const b = decodeWav(readFileSync(w));
    assert.equal(a.channels, b.channels, name);
    assert.equal(a.samples.length, b.samples.length, name);
    assert.deepEqual(a.samples, b.samples, name);
    // what the store keeps for an upload: a WAV that decodes to the very same samples
    const stored = await toStoredWav(readFileSync(f));
    assert.equal(stored.container, 'flac');
    assert.deepEqual(decodeWav(stored.wav).samples, a.samples, name);
  }
});

test('a WAV passes through the by-content reader unchanged; other files say WAV or FLAC', { skip }, async () => {
  const wavPath = join(dir, 'pass.wav');
  sox([REAL, wavPath]);
  const bytes = readFileSync(wavPath);
  const stored = await toStoredWav(bytes);
  assert.equal(stored.container, 'wav');
  assert.equal(stored.wav, bytes);
  // the name does not decide: a FLAC called .wav is read as FLAC
  const misnamed = join(dir, 'really-flac.wav');
  writeFileSync(misnamed, readFileSync(REAL));
  assert.equal((await readAudio(misnamed)).container, 'flac');
  await expectError(decodeAudio(Buffer.from('patient,age\n1,70\n')), 'NOT_WAV', /WAV .*and FLAC/);
});

test('damaged FLAC files get coded errors that say what to do', { skip }, async () => {
  const good = readFileSync(REAL);
  await expectError(decodeFlac(new Uint8Array(0)), 'EMPTY');
  // cut short in the audio, in the header, and right after the header
  await expectError(
    decodeFlac(good.subarray(0, Math.floor(good.length * 0.6))),
    'TRUNCATED',
    /announces 9\.2 s .* present.*Copy it again/,
  );
  await expectError(decodeFlac(good.subarray(0, 30)), 'TRUNCATED', /header/);
  // bits flipped in the middle: the frame parser silently skips such frames, we must not
  for (const at of [0.3, 0.7]) {
    const bad = Buffer.from(good);
    const p = Math.floor(bad.length * at);
    for (let i = p; i < p + 40; i++) bad[i] = bad[i]! ^ 0x5a;
    await expectError(decodeFlac(bad), 'CORRUPT', /damaged at about \d+\.\d s/);
  }
  // a single flipped bit inside a frame
  const flip = Buffer.from(good);
  flip[flip.length - 3000] = flip[flip.length - 3000]! ^ 0x01;
  await expectError(decodeFlac(flip), 'CORRUPT');
  // STREAMINFO: total samples claiming ~300 hours (a bomb), a wrong MD5, an impossible block size
  const huge = Buffer.from(good);
  huge[21] = (huge[21]! & 0xf0) | 0x0f;
  await expectError(decodeFlac(huge), 'TOO_LARGE', /too long.*Split it/);
  const md5 = Buffer.from(good);
  md5[30] = md5[30]! ^ 0xff;
  await expectError(decodeFlac(md5), 'CORRUPT', /checksum \(MD5\)/);
  const block = Buffer.from(good);
  block[8] = 0;
  block[9] = 4;
  await expectError(decodeFlac(block), 'CORRUPT', /block sizes/);
  const notInfo = Buffer.from(good);
  notInfo[4] = 0x04;
  await expectError(decodeFlac(notInfo), 'CORRUPT', /STREAMINFO/);
});

/** A file through openAudioStream, its chunks joined (the stream's errors thrown as they come). */
async function streamed(path: string): Promise<{ samples: Float32Array; rate: number; chunks: number }> {
  const stream = await openAudioStream(path);
  try {
    const parts: Float32Array[] = [];
    for await (const c of stream.chunks()) parts.push(c);
    const samples = new Float32Array(parts.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of parts) {
      samples.set(c, at);
      at += c.length;
    }
    return { samples, rate: stream.sampleRate, chunks: parts.length };
  } finally {
    await stream.close();
  }
}

test('a FLAC streamed in chunks gives decodeFlac’s samples, in every format', { skip }, async () => {
  const src = join(dir, 'stream-src.wav');
  sox(['-n', '-r', '8000', '-c', '2', '-b', '24', src, 'synth', '40', 'pinknoise', 'sine', '300']);
  const files = [REAL];
  for (const [name, args] of [
    ['24-bit stereo', ['-b', '24']],
    ['12-bit mono', ['-b', '12', '-c', '1']],
  ] as const) {
    const f = join(dir, `stream-${name}.flac`);
    sox([src, ...args, f]);
    files.push(f);
  }
  for (const f of files) {
    const whole = await decodeFlac(readFileSync(f));
    const s = await streamed(f);
    assert.equal(s.rate, whole.sampleRate, f);
    if (f !== REAL) assert.ok(s.chunks > 1, `${f}: ${s.chunks} chunk(s)`);
    assert.deepEqual(s.samples, whole.samples, f);
  }
});

test(
  'a damaged FLAC streamed gets decodeFlac’s coded error, at the latest after its last chunk',
  { skip },
  async () => {
    const good = readFileSync(REAL);
    const cases: Array<[string, Uint8Array]> = [['empty', new Uint8Array(0)]];
    cases.push(['cut short', good.subarray(0, Math.floor(good.length * 0.6))]);
    cases.push(['cut in the header', good.subarray(0, 30)]);
    const bad = Buffer.from(good);
    for (let i = Math.floor(bad.length * 0.5); i < Math.floor(bad.length * 0.5) + 40; i++) bad[i] = bad[i]! ^ 0x5a;
    cases.push(['bits flipped', bad]);
    const md5 = Buffer.from(good);
    md5[30] = md5[30]! ^ 0xff;
    cases.push(['wrong MD5', md5]);
    const huge = Buffer.from(good);
    huge[21] = (huge[21]! & 0xf0) | 0x0f;
    cases.push(['300 hours announced', huge]);
    for (const [name, bytes] of cases) {
      const path = join(dir, `damaged-${name}.flac`);
      writeFileSync(path, bytes);
      let expected: AudioFileError | undefined;
      try {
        await decodeFlac(bytes);
      } catch (err) {
        expected = err as AudioFileError;
      }
      assert.ok(expected instanceof AudioFileError, name);
      // an empty file is no FLAC by its first bytes, so the WAV reader words it
      const err = await expectError(streamed(path), expected.code);
      if (name !== 'empty') assert.equal(err.message, expected.message, name);
    }
  },
);

test('FLACs outside the limits are refused before decoding', { skip }, async () => {
  const low = join(dir, 'low.flac');
  sox(['-n', '-r', '2000', '-b', '16', low, 'synth', '1', 'sine', '300']);
  await expectError(readAudio(low), 'UNSUPPORTED', /2000 Hz.*outside/);
  await expectError(readAudio(join(dir, 'nope.flac')), 'NOT_FOUND');
});
