// The streaming band-limit against the batch bandLimit it must equal bit for bit: random signals of
// lengths around the block size and far beyond it, pushed in chunks of every size from 1 sample up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bandLimit } from '../../src/audio/band-limit.js';
import { StreamingBandLimit } from '../../src/audio/streaming-band-limit.js';

function noise(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

function streamed(x: Float32Array, rate: number, cutoff: number, chunkSizes: number[]): Float32Array {
  const f = new StreamingBandLimit(rate, cutoff);
  const parts: Float32Array[] = [];
  let i = 0,
    c = 0;
  while (i < x.length) {
    const n = Math.min(chunkSizes[c++ % chunkSizes.length]!, x.length - i);
    parts.push(f.push(x.subarray(i, i + n)));
    i += n;
  }
  parts.push(f.flush());
  const out = new Float32Array(parts.reduce((k, p) => k + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

test('streaming band-limit equals the batch band-limit bit for bit, whatever the chunking', async () => {
  // 16 kHz, 2 kHz cutoff: N = 1024, L = 862 (2L = 1724 input samples per transform)
  for (const n of [1, 81, 82, 863, 1723, 1724, 1725, 3448, 5000, 48_000, 160_003]) {
    const x = noise(n, n);
    const batch = await bandLimit(x, 16000, 2000);
    for (const chunks of [[n], [1], [160, 7], [1724], [999, 3, 4096]]) {
      if (n > 20_000 && chunks[0] === 1) continue; // one sample at a time: slow, covered by the short ones
      const s = streamed(x, 16000, 2000, chunks);
      assert.equal(s.length, n, `length for n=${n}, chunks ${chunks.join(',')}`);
      assert.ok(
        s.every((v, i) => Object.is(v, batch[i])),
        `n=${n}, chunks ${chunks.join(',')}: first difference at ${s.findIndex((v, i) => !Object.is(v, batch[i]))}`,
      );
    }
  }
});

test('streaming band-limit: other rates, and a cutoff above what the rate holds passes the input through', async () => {
  const x = noise(30_000, 7);
  const b = await bandLimit(x, 44100, 2000);
  const s = streamed(x, 44100, 2000, [441, 1000]);
  assert.ok(s.every((v, i) => Object.is(v, b[i])));
  const through = streamed(x, 4000, 2000, [333]);
  assert.deepEqual(through, x);
  const f = new StreamingBandLimit(16000, 2000);
  f.flush();
  assert.throws(() => f.push(x), /after flush/);
});
