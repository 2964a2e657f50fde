/**
 * Sample-rate conversion of mono audio, batch (`resample`) and streaming (`StreamingResampler`).
 *
 * Methods:
 *  - 'polyphase' (default): a precomputed polyphase FIR per rate pair (polyphase-design.ts: Kaiser
 *    windowed sinc, flat to 7.5 kHz at 16 kHz output, 125 dB from 8 kHz on), summed by a WASM SIMD
 *    kernel (polyphase-kernel.ts). Rate pairs whose table would exceed 4 MB (L·T taps; none of the
 *    engine's: 44.1, 48, 22.05, 8, 4 kHz ↔ 16 kHz are 3-370 kB) fall back to 'speex'.
 *  - 'polyphase-js': the same filter summed in plain JavaScript (for the bench; 3-4× slower).
 *  - 'speex': SpeexDSP quality 9 (speex-resampler.ts), the path before issue 18, kept for the
 *    side-by-side bench and the fallback above.
 * bench/analysis.ts and bench/frontend.ts time them side by side; test/audio/resample.test.ts measures
 * passband and alias rejection of 'polyphase' against 'speex' on every engine ratio.
 *
 * Alignment and length, whatever the method: output sample k is the input at time k / toRate (no
 * delay), the total is floor(n × toRate / fromRate), and streaming in any chunk sizes equals the batch
 * `resample` sample for sample.
 */
import { PolyphaseChain } from './polyphase-resampler.js';
import { MAX_TABLE_TAPS, polyphasePlan, polyphaseSize } from './polyphase-design.js';
import { checkRate, SpeexResampler } from './speex-resampler.js';

export type ResampleMethod = 'polyphase' | 'polyphase-js' | 'speex';
/** The name the engine's option (EngineOptions.resampleQuality) has for a method. */
export type ResampleQuality = ResampleMethod;

export interface ResampleOptions {
  /**
   * Band-limit to this cutoff in the same pass (polyphase only): band-limit.ts's specification (pass
   * to 0.875 ×, −6 dB at, stop from 1.125 × the cutoff, 80 dB) instead of the full-band filter. Cheaper
   * than resampling then band-limiting; for equal rates it is the band-limit alone.
   */
  bandLimitHz?: number;
}

const METHODS: readonly ResampleMethod[] = ['polyphase', 'polyphase-js', 'speex'];

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Streams mono audio through one converter. Create with `await StreamingResampler.create`. */
export class StreamingResampler {
  private done = false;
  private started = false;

  private constructor(
    private readonly poly: PolyphaseChain | null,
    private readonly speex: SpeexResampler | null,
    readonly fromRate: number,
    readonly toRate: number,
    /** The method in use (differs from the one asked for only by the 'speex' fallback). */
    readonly method: ResampleMethod,
  ) {}

  static async create(
    fromRate: number,
    toRate: number,
    method: ResampleMethod = 'polyphase',
    opts: ResampleOptions = {},
  ): Promise<StreamingResampler> {
    checkRate('fromRate', fromRate);
    checkRate('toRate', toRate);
    if (!METHODS.includes(method))
      throw new RangeError(`resample: method must be one of ${METHODS.join(', ')} (got ${method})`);
    const { bandLimitHz } = opts;
    if (bandLimitHz !== undefined && !(bandLimitHz > 0 && Number.isFinite(bandLimitHz)))
      throw new RangeError(`resample: bandLimitHz must be a positive number of Hz (got ${bandLimitHz})`);
    const convert = fromRate !== toRate || bandLimitHz !== undefined;
    const plan = polyphasePlan(fromRate, toRate, bandLimitHz);
    const fits = plan.every((s) => polyphaseSize(s.fromRate, s.toRate, s.spec).tableTaps <= MAX_TABLE_TAPS);
    if (method !== 'speex' && fits) {
      const kernel = method === 'polyphase' ? 'wasm' : 'js';
      const poly = convert ? new PolyphaseChain(fromRate, toRate, kernel, bandLimitHz) : null;
      return new StreamingResampler(poly, null, fromRate, toRate, method);
    }
    if (bandLimitHz !== undefined)
      throw new RangeError(
        `resample: band-limited conversion needs the polyphase method and a ${fromRate}/${toRate} table that fits`,
      );
    return new StreamingResampler(
      null,
      await SpeexResampler.create(fromRate, toRate, 'medium'),
      fromRate,
      toRate,
      'speex',
    );
  }

  /** Resamples a chunk; returns the output frames now available (fewer at first: the filter's reach). */
  push(chunk: Float32Array): Float32Array {
    if (this.speex) return this.speex.push(chunk);
    if (this.done) throw new Error('StreamingResampler: push() after flush() or close()');
    this.started = true;
    if (!this.poly) return chunk.slice();
    const parts: Float32Array[] = [];
    this.poly.push(chunk, (o) => parts.push(o.slice()));
    return parts.length === 0 ? new Float32Array(0) : concat(parts);
  }

  /** Ends the stream: returns the held-back tail, trimmed so the total is floor(n × toRate / fromRate). */
  flush(): Float32Array {
    if (this.speex) return this.speex.flush();
    if (this.done) return new Float32Array(0);
    this.done = true;
    if (!this.poly) return new Float32Array(0);
    const parts: Float32Array[] = [];
    this.poly.flush((o) => parts.push(o.slice()));
    return parts.length === 0 ? new Float32Array(0) : concat(parts);
  }

  /** Frees the converter (its memory goes with the garbage collector; Speex states are freed now). */
  close(): void {
    this.done = true;
    this.speex?.close();
  }

  /** Resamples a whole signal into one preallocated array: the same calls as push() + flush(). */
  convertAll(samples: Float32Array): Float32Array {
    if (this.speex) return this.speex.convertAll(samples);
    if (this.done || this.started) throw new Error('StreamingResampler: convertAll() needs a fresh resampler');
    this.done = true;
    if (!this.poly) return samples;
    const poly = this.poly;
    const out = new Float32Array(Math.floor((samples.length * this.toRate) / this.fromRate));
    let pos = 0;
    // the chain can flush one sample more than floor(n · to / from) (rounding of its stages): keep the floor
    const into = (o: Float32Array): void => {
      const n = Math.min(o.length, out.length - pos);
      if (n > 0) out.set(o.subarray(0, n), pos);
      pos += Math.max(0, n);
    };
    poly.push(samples, into);
    poly.flush(into);
    return out;
  }
}

/**
 * Resamples mono audio from `fromRate` to `toRate` ('polyphase' unless told otherwise). Output length
 * is floor(n × toRate / fromRate). Equal rates without a band limit return the input array itself.
 */
export async function resample(
  samples: Float32Array,
  fromRate: number,
  toRate: number,
  method: ResampleMethod = 'polyphase',
  opts: ResampleOptions = {},
): Promise<Float32Array> {
  const r = await StreamingResampler.create(fromRate, toRate, method, opts);
  try {
    return r.convertAll(samples);
  } finally {
    r.close();
  }
}
