/**
 * Sample-rate conversion with SpeexDSP's resampler (WASM, see speex-engine.ts): a windowed-sinc
 * polyphase filter, 13-20× faster here than the libsamplerate build it replaced. Until issue 18 it was
 * the only resampler; now resample.ts uses it for rate pairs the precomputed polyphase table cannot
 * serve (a huge L), and the bench and the quality tests run it beside the polyphase resampler.
 *
 * Alignment: the state skips the filter's leading zeros, so output sample k is the input at time
 * k / toRate. Speex holds back half the filter (its input latency) until more input arrives; flush()
 * feeds that many zeros and trims the output to floor(inputLength × toRate / fromRate). Speex's output
 * does not depend on how the input is cut into calls, so streaming in any chunk sizes equals the batch
 * `resample` sample for sample (test/audio/resample.test.ts).
 *
 * Memory: each resampler owns one Speex state in the shared WASM heap and frees it on close();
 * `resample` always closes its own. A resampler dropped without close() is freed when garbage-collected.
 */
import { speexEngine, type SpeexEngine } from './speex-engine.js';

/** Speex quality levels behind each name (0-10; higher: longer filter, wider passband, slower). */
export type SpeexQuality = 'best' | 'medium' | 'fastest';

/**
 * Measured at 44.1 kHz → 16 kHz (bench/frontend.ts): 10 keeps a 7.5 kHz tone at -0.00 dB, 9 at
 * -0.01 dB, 8 at -0.27 dB (a quarter of the cost of 10); below 8 the top mel band (7.5 kHz) is lost
 * (quality 7: -2 dB, 5: -11 dB), so no name maps there. Stopband: > 100 dB for all three.
 */
const SPEEX_QUALITY: Record<SpeexQuality, number> = { best: 10, medium: 9, fastest: 8 };

/**
 * The default, 'medium' (Speex 9): the cheapest level that keeps every YAMNet mel band (up to
 * 7.5 kHz) within 0.1 dB, the passband the resampler tests hold the analysis to; about 1.5× faster
 * than 'best', whose extra width (7.5-7.8 kHz) no mel band uses.
 */
const DEFAULT_QUALITY: SpeexQuality = 'medium';

export function checkRate(name: string, rate: number): void {
  if (!Number.isInteger(rate) || rate < 1 || rate > 192000) {
    throw new RangeError(`resample: ${name} must be an integer from 1 to 192000 Hz (got ${rate})`);
  }
}

function speexQuality(quality: SpeexQuality): number {
  // Callers in plain JavaScript (scripts, benches) can pass anything: checked, not trusted.
  const q = (SPEEX_QUALITY as Partial<Record<string, number>>)[quality];
  if (q === undefined) throw new RangeError(`resample: quality must be 'best', 'medium' or 'fastest' (got ${quality})`);
  return q;
}

/** Frees the Speex state of a resampler that was garbage-collected without close(). */
const orphans = new FinalizationRegistry<{ engine: SpeexEngine; st: number }>(({ engine, st }) => engine.destroy(st));

/** Streams mono audio through one Speex resampler. Create with `await SpeexResampler.create`. */
export class SpeexResampler {
  private inCount = 0;
  private outCount = 0;
  private flushed = false;
  private closed = false;

  private constructor(
    private readonly engine: SpeexEngine | null,
    /** Speex state pointer; 0 for equal rates (no conversion). */
    private readonly st: number,
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    if (engine) orphans.register(this, { engine, st }, this);
  }

  static async create(
    fromRate: number,
    toRate: number,
    quality: SpeexQuality = DEFAULT_QUALITY,
  ): Promise<SpeexResampler> {
    checkRate('fromRate', fromRate);
    checkRate('toRate', toRate);
    const q = speexQuality(quality);
    // Equal rates: the output is the input; no state needed.
    if (fromRate === toRate) return new SpeexResampler(null, 0, fromRate, toRate);
    const engine = await speexEngine();
    return new SpeexResampler(engine, engine.create(fromRate, toRate, q), fromRate, toRate);
  }

  /** Total output frames for the input pushed so far, once flushed. */
  private expectedTotal(): number {
    return Math.floor((this.inCount * this.toRate) / this.fromRate);
  }

  /** Resamples a chunk; returns the output frames now available (fewer at first: latency). */
  push(chunk: Float32Array): Float32Array {
    if (this.closed || this.flushed) throw new Error('SpeexResampler: push() after flush() or close()');
    this.inCount += chunk.length;
    if (this.engine === null) {
      this.outCount += chunk.length;
      return chunk.slice();
    }
    // Speex never runs ahead of the input (output k needs input past k × from / to), so this bounds it.
    const out = new Float32Array(Math.max(0, this.expectedTotal() + 1 - this.outCount));
    const { pos, used } = this.engine.run(this.st, chunk, chunk.length, out, 0);
    if (used !== chunk.length) throw new Error('SpeexResampler: internal error, input not consumed'); // would be lost audio
    this.outCount += pos;
    return pos === out.length ? out : out.slice(0, pos);
  }

  /** Ends the stream: returns the held-back tail, trimmed so the total is floor(n × toRate / fromRate). */
  flush(): Float32Array {
    if (this.closed) throw new Error('SpeexResampler: flush() after close()');
    if (this.flushed) return new Float32Array(0);
    this.flushed = true;
    const want = this.expectedTotal() - this.outCount;
    if (this.engine === null || want <= 0) return new Float32Array(0);
    const out = new Float32Array(want);
    const got = this.drainInto(out, 0);
    this.outCount += got;
    return got === want ? out : out.subarray(0, got);
  }

  /** Feeds zeros (the input latency, then more if ever needed) until `dest` is full; returns the new position. */
  private drainInto(dest: Float32Array, pos: number): number {
    const zeros = this.engine!.inputLatency(this.st) + Math.ceil(this.fromRate / this.toRate) + 8;
    for (let guard = 0; pos < dest.length && guard < 4; guard++) {
      pos = this.engine!.run(this.st, null, zeros, dest, pos).pos;
    }
    return pos;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.engine) {
      orphans.unregister(this);
      this.engine.destroy(this.st);
    }
  }

  /**
   * Resamples a whole signal into one preallocated array (used by `resample`): the same calls as
   * push() + flush(), writing straight into the result.
   */
  convertAll(samples: Float32Array): Float32Array {
    if (this.inCount > 0 || this.flushed || this.closed)
      throw new Error('SpeexResampler: convertAll() needs a fresh resampler');
    this.inCount = samples.length;
    this.flushed = true;
    if (this.engine === null) {
      this.outCount = samples.length;
      return samples;
    }
    const out = new Float32Array(this.expectedTotal());
    const { pos } = this.engine.run(this.st, samples, samples.length, out, 0);
    this.outCount = this.drainInto(out, pos);
    return this.outCount === out.length ? out : out.subarray(0, this.outCount);
  }
}

/**
 * Resamples mono audio from `fromRate` to `toRate` with SpeexDSP ('medium' quality unless told otherwise:
 * see DEFAULT_QUALITY). Output length is floor(n × toRate / fromRate). Equal rates return the input array itself.
 */
export async function speexResample(
  samples: Float32Array,
  fromRate: number,
  toRate: number,
  quality: SpeexQuality = DEFAULT_QUALITY,
): Promise<Float32Array> {
  const r = await SpeexResampler.create(fromRate, toRate, quality);
  try {
    return r.convertAll(samples);
  } finally {
    r.close();
  }
}
