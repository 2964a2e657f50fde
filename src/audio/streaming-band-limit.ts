/**
 * bandLimit (band-limit.ts) for a stream: push chunks of any size, get the samples that are final.
 * The output equals bandLimit() of the whole signal bit for bit: the same FFT blocks (two blocks of L
 * new samples per transform, counted from the stream's first sample), the same float64 products, and
 * the same float32 accumulation in the same order. Memory: one transform's buffers and at most
 * 2L + N samples of pending output (N = 1024, L = 862 for the 2 kHz band at 16 kHz), whatever the
 * length of the stream.
 */
import { bandLimitChanges, designLowPass, fastFir, type FastFir } from './band-limit.js';

export class StreamingBandLimit {
  private readonly f: FastFir;
  private readonly len: number;
  private readonly m: number;
  /** New input samples per half block. */
  private readonly L: number;
  private readonly pass: boolean;
  /** Input not yet transformed: in[0] is stream sample `blockStart`. */
  private readonly input: Float64Array;
  private inputLen = 0;
  private blockStart = 0;
  /** Output accumulator: acc[0] is output sample `accStart`. */
  private acc: Float32Array;
  private accStart = 0;
  private readonly buf: Float64Array;
  private readonly spec: Float64Array;
  private readonly res: Float64Array;
  private pushed = 0;
  private done = false;

  constructor(sampleRate: number, cutoffHz: number) {
    this.pass = !bandLimitChanges(sampleRate, cutoffHz);
    const fir = designLowPass(sampleRate, cutoffHz);
    this.f = fastFir(fir);
    this.len = fir.taps.length;
    this.m = (this.len - 1) / 2;
    const N = this.f.n;
    this.L = N - this.len + 1;
    this.input = new Float64Array(2 * this.L);
    this.acc = new Float32Array(2 * this.L + N);
    this.buf = new Float64Array(2 * N);
    this.spec = new Float64Array(2 * N);
    this.res = new Float64Array(2 * N);
  }

  /** Filters a chunk; returns the output samples now final (fewer at first: the filter's reach). */
  push(chunk: Float32Array): Float32Array {
    if (this.done) throw new Error('StreamingBandLimit: push() after flush()');
    this.pushed += chunk.length;
    if (this.pass) return chunk.slice();
    const parts: Float32Array[] = [];
    let i = 0;
    while (i < chunk.length) {
      const take = Math.min(2 * this.L - this.inputLen, chunk.length - i);
      for (let j = 0; j < take; j++) this.input[this.inputLen + j] = chunk[i + j]!;
      this.inputLen += take;
      i += take;
      if (this.inputLen === 2 * this.L) parts.push(this.block(Infinity));
    }
    return concat(parts);
  }

  /** Ends the stream: the last (zero-padded) block and everything still pending, up to the input's length. */
  flush(): Float32Array {
    if (this.done) return new Float32Array(0);
    this.done = true;
    if (this.pass) return new Float32Array(0);
    const n = this.pushed;
    const parts: Float32Array[] = [];
    if (this.inputLen > 0) parts.push(this.block(n));
    // what is left in the accumulator up to the last input sample
    const rest = Math.max(0, n - this.accStart);
    parts.push(this.acc.slice(0, rest));
    this.accStart += rest;
    return concat(parts);
  }

  /**
   * Transforms the held block (zeros past inputLen, as bandLimit's `a < n` tests give), adds it into
   * the accumulator in bandLimit's order, and returns the outputs no later block can touch.
   */
  private block(n: number): Float32Array {
    const { fft, n: N, spectrum: H } = this.f;
    const L = this.L,
      m = this.m,
      s = this.blockStart;
    const buf = this.buf,
      spec = this.spec,
      res = this.res,
      input = this.input;
    buf.fill(0);
    for (let j = 0; j < L; j++) {
      if (j < this.inputLen) buf[2 * j] = input[j]!;
      if (L + j < this.inputLen) buf[2 * j + 1] = input[L + j]!;
    }
    fft.transform(spec, buf);
    for (let k = 0; k < N; k++) {
      const xr = spec[2 * k]!,
        xi = spec[2 * k + 1]!,
        hr = H[2 * k]!,
        hi = H[2 * k + 1]!;
      spec[2 * k] = xr * hr - xi * hi;
      spec[2 * k + 1] = xr * hi + xi * hr;
    }
    fft.inverseTransform(res, spec);
    const acc = this.acc,
      a0 = this.accStart;
    for (let j = 0; j < N; j++) {
      const ia = s + j - m,
        ib = s + L + j - m;
      if (ia >= 0 && ia < n) acc[ia - a0]! += res[2 * j]!;
      if (ib >= 0 && ib < n) acc[ib - a0]! += res[2 * j + 1]!;
    }
    this.blockStart += 2 * L;
    this.inputLen = 0;
    // the next block adds from output (next start − m) on: everything before it is final
    const finalUpTo = Math.max(0, Math.min(this.blockStart - m, n) - a0);
    const out = acc.slice(0, finalUpTo);
    acc.copyWithin(0, finalUpTo);
    acc.fill(0, acc.length - finalUpTo);
    this.accStart += finalUpTo;
    return out;
  }
}

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(parts.reduce((k, p) => k + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
