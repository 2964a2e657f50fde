// The engine streams patches from log-mel frames instead of materialising them: the patches must
// be exactly those of features' patchesFromWaveform, start times included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { patchesFromWaveform } from '../../src/features/patches.js';
import { patchSource16k } from '../../src/inference/front-end.js';
import { PATCH_SIZE } from '../../src/inference/yamnet-session.js';

function signal(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin(i * 0.05) + 0.1 * Math.sin(i * 0.9));
}

test('streamed patches equal features patchesFromWaveform, for long, exact and short inputs', () => {
  for (const n of [16000 * 3 + 1234, 15600, 15599, 8000, 0]) {
    const ref = patchesFromWaveform(signal(n));
    const { source, startsSec } = patchSource16k(signal(n));
    assert.equal(source.count, ref.count, `n=${n}`);
    assert.deepEqual(
      startsSec,
      ref.startFrames.map((f) => (f * 160) / 16000),
    );
    const dest = new Float32Array(PATCH_SIZE);
    for (let i = 0; i < ref.count; i++) {
      source.copyPatch(i, dest);
      assert.deepEqual(dest, ref.data.subarray(i * PATCH_SIZE, (i + 1) * PATCH_SIZE), `n=${n} patch ${i}`);
    }
  }
});
