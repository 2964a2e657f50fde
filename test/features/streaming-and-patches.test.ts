/** Streaming log-mel equals batch for any chunking; patch counts, positions and zero-padding. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logMelFrames } from '../../src/features/log-mel.js';
import { StreamingLogMel } from '../../src/features/streaming-log-mel.js';
import { framesToPatches, patchesFromWaveform } from '../../src/features/patches.js';
import { PATCH_SAMPLES, PATCH_FRAMES, PATCH_HOP_FRAMES, MEL_BANDS } from '../../src/features/yamnet-params.js';
import { noise } from '../audio/signals.js';

function streamAll(x: Float32Array, sizes: number[]): { data: Float32Array; frames: number; s: StreamingLogMel } {
  const s = new StreamingLogMel();
  const parts: Float32Array[] = [];
  let frames = 0;
  for (let i = 0, k = 0; i < x.length; k++) {
    const n = sizes[k % sizes.length]!;
    const out = s.push(x.subarray(i, i + n));
    assert.equal(out.data.length, out.frames * MEL_BANDS);
    frames += out.frames;
    parts.push(out.data);
    i += n;
    assert.equal(s.framesEmitted, frames);
  }
  const data = new Float32Array(frames * MEL_BANDS);
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return { data, frames, s };
}

test('streaming log-mel in chunks of 1, 7, 160, 1000 and random sizes gives exactly the batch frames', () => {
  const x = noise(16000 * 2 + 123, 0.4, 21);
  const batch = logMelFrames(x);
  const random = Array.from(noise(50, 1, 8), (v) => Math.floor(Math.abs(v) * 5000)); // includes 0-length chunks
  for (const sizes of [[1], [7], [160], [1000], random, [x.length]]) {
    const s = streamAll(x, sizes);
    assert.equal(s.frames, batch.frames, `chunks ${sizes.length > 1 ? 'random' : sizes[0]}`);
    assert.deepEqual(s.data, batch.data, `chunks ${sizes.length > 1 ? 'random' : sizes[0]}`);
  }
});

test('a frame is emitted as soon as its 400th sample arrives, not before', () => {
  const s = new StreamingLogMel();
  assert.equal(s.push(new Float32Array(399)).frames, 0);
  assert.equal(s.push(new Float32Array(1)).frames, 1);
  assert.equal(s.push(new Float32Array(159)).frames, 0);
  assert.equal(s.push(new Float32Array(1)).frames, 1);
  assert.equal(s.framesEmitted, 2);
});

test('patch counts: 96 frames every 48; 15600 samples make one patch, each further 7680 one more', () => {
  for (const [n, want] of [
    [PATCH_SAMPLES, 1],
    [PATCH_SAMPLES + 7679, 1],
    [PATCH_SAMPLES + 7680, 2],
    [16000 * 30, 61],
  ] as const) {
    const p = patchesFromWaveform(new Float32Array(n));
    assert.equal(p.count, want, `n=${n}`);
    assert.equal(p.data.length, want * PATCH_FRAMES * MEL_BANDS);
    assert.deepEqual(
      p.startFrames,
      Array.from({ length: want }, (_, i) => i * PATCH_HOP_FRAMES),
    );
  }
});

test('patches are the frames they claim to be', () => {
  const x = noise(16000 * 3, 0.3, 2);
  const frames = logMelFrames(x);
  const p = framesToPatches(frames);
  assert.equal(p.count, Math.floor((frames.frames - 96) / 48) + 1);
  for (let i = 0; i < p.count; i++) {
    const start = p.startFrames[i]! * MEL_BANDS;
    assert.deepEqual(p.data.subarray(i * 96 * 64, (i + 1) * 96 * 64), frames.data.subarray(start, start + 96 * 64));
  }
  assert.equal(framesToPatches({ data: new Float32Array(95 * 64), frames: 95 }).count, 0);
});

test('a recording shorter than one patch is zero-padded to exactly one patch', () => {
  const short = noise(3000, 0.5, 5);
  const p = patchesFromWaveform(short);
  assert.equal(p.count, 1);
  const padded = new Float32Array(PATCH_SAMPLES);
  padded.set(short);
  assert.deepEqual(p.data, framesToPatches(logMelFrames(padded)).data);
  // The frames past the recording (from frame 19 on: 160·19 = 3040 ≥ 3000) are silence.
  const silence = Math.fround(Math.log(0.001));
  for (let f = 19; f < 96; f++) for (let b = 0; b < 64; b++) assert.equal(p.data[f * 64 + b], silence);
  assert.notEqual(p.data[18 * 64 + 10], silence);
  assert.notEqual(p.data[0], silence);
  // Even an empty recording gives one (silent) patch rather than none.
  assert.equal(patchesFromWaveform(new Float32Array(0)).count, 1);
});
