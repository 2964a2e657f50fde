// openWavStream against readWavFile: the same samples (16- and 24-bit, stereo mixed to mono) in
// blocks of any size, the same refusals, and a file past the whole-array sample limit that a stream
// reads (the one-hour limit still holds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AudioFileError, WAV_LIMITS, openWavStream, readWavFile } from '../../src/audio/wav-read.js';
import { encodePcmWav } from '../../src/audio/wav-write.js';
import { scratchDir } from '../support/paths.js';

async function streamed(path: string, blockBytes: number): Promise<Float32Array> {
  const s = await openWavStream(path, { blockBytes });
  const parts: Float32Array[] = [];
  try {
    for await (const c of s.chunks()) parts.push(c);
  } finally {
    await s.close();
  }
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

test('openWavStream gives readWavFile’s samples in blocks of any size', async () => {
  const dir = scratchDir();
  const n = 30_011;
  for (const [bits, channels] of [
    [16, 1],
    [24, 2],
  ] as const) {
    const chs = Array.from({ length: channels }, (_, c) =>
      Int32Array.from({ length: n }, (_, i) => Math.round(Math.sin(i / (7 + c)) * (2 ** (bits - 1) - 1))),
    );
    const path = join(dir, `t${bits}-${channels}.wav`);
    writeFileSync(path, encodePcmWav(chs, 8000, bits));
    const whole = await readWavFile(path);
    for (const block of [1, 1000, 65_536, 1 << 20]) {
      const s = await streamed(path, block);
      assert.deepEqual(s, whole.samples, `${bits}-bit ×${channels}, blocks of ${block} bytes`);
    }
    const info = await openWavStream(path);
    assert.equal(info.sampleRate, 8000);
    assert.equal(info.frames, n);
    assert.equal(info.channels, channels);
    await info.close();
  }
  writeFileSync(join(dir, 'not.wav'), 'hello, not audio at all');
  await assert.rejects(openWavStream(join(dir, 'not.wav')), AudioFileError);
  await assert.rejects(
    openWavStream(join(dir, 'missing.wav')),
    (e: unknown) => (e as AudioFileError).code === 'NOT_FOUND',
  );
});

test('openWavStream reads past the whole-array sample limit; the one-hour limit still holds', async () => {
  const dir = scratchDir();
  // a sparse 8-bit file at 48 kHz: 50 minutes = 144 M samples > 2^27, written as header + a hole
  const write = (path: string, seconds: number) => {
    const rate = 48000,
      frames = seconds * rate;
    const h = Buffer.alloc(44);
    h.write('RIFF', 0, 'ascii');
    h.writeUInt32LE(36 + frames, 4);
    h.write('WAVEfmt ', 8, 'ascii');
    h.writeUInt32LE(16, 16);
    h.writeUInt16LE(1, 20);
    h.writeUInt16LE(1, 22);
    h.writeUInt32LE(rate, 24);
    h.writeUInt32LE(rate, 28);
    h.writeUInt16LE(1, 32);
    h.writeUInt16LE(8, 34);
    h.write('data', 36, 'ascii');
    h.writeUInt32LE(frames, 40);
    const fd = openSync(path, 'w');
    writeSync(fd, h);
    writeSync(fd, Buffer.from([128]), 0, 1, 44 + frames - 1);
    closeSync(fd);
    return frames;
  };
  const long = join(dir, 'long.wav');
  const frames = write(long, 50 * 60);
  assert.ok(frames > WAV_LIMITS.maxSamples);
  await assert.rejects(readWavFile(long), (e: unknown) => (e as AudioFileError).code === 'TOO_LARGE');
  const s = await openWavStream(long);
  assert.equal(s.frames, frames);
  let first: Float32Array | undefined;
  for await (const c of s.chunks()) {
    first = c;
    break;
  }
  await s.close();
  assert.ok(first && first.length > 0);
  const tooLong = join(dir, 'too-long.wav');
  write(tooLong, 61 * 60);
  await assert.rejects(openWavStream(tooLong), (e: unknown) => (e as AudioFileError).code === 'TOO_LARGE');
});
