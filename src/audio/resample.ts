/**
 * Sample-rate conversion with libsamplerate (via @alexanderolsen/libsamplerate-js), band-limited sinc.
 *
 * Alignment: libsamplerate's sinc converters are time-aligned (output sample k is the input at time
 * k/toRate); their latency shows only as fewer frames returned by the first calls of the streaming
 * ("full") API, and as a tail held back until the end. So the streaming resampler here just
 * concatenates what each call returns and, at flush(), feeds zeros until the tail is out, then trims to
 * floor(inputLength × toRate / fromRate), the length libsamplerate's one-shot API produces. The result
 * equals the one-shot output sample for sample (test/audio/resample.test.ts measures it).
 *
 * The batch `resample` is the streaming resampler over large blocks: the library's own one-shot call
 * splits inputs above ~1 M samples into end-of-stream-less pieces and drops the tail, and copies via
 * per-chunk arrays; doing it here keeps one preallocated output and the full length.
 *
 * Cost: this package runs libsamplerate compiled to JavaScript (wasm2js), and the best-quality sinc
 * is slow (see bench/frontend.ts for measured figures). Creating a converter instantiates that module
 * anew (a ~26 MB heap, 25-50 ms of CPU), so closed converters are kept in a small pool (MAX_IDLE) and
 * reused for the same rates and quality after a reset (libsamplerate's delete + new, well under 1 ms).
 */
import libsamplerate from '@alexanderolsen/libsamplerate-js';

/** libsamplerate's converters, best first (SRC_SINC_BEST_QUALITY = 0 ... SRC_SINC_FASTEST = 2). */
export type ResampleQuality = 'best' | 'medium' | 'fastest';

const CONVERTER: Record<ResampleQuality, 0 | 1 | 2> = { best: 0, medium: 1, fastest: 2 };

type Src = Awaited<ReturnType<typeof libsamplerate.create>>;

/** Closed converters kept for reuse: each holds ~26 MB, so only a couple. */
const MAX_IDLE = 2;
const idle: Array<{ key: string; src: Src }> = [];

async function acquire(fromRate: number, toRate: number, quality: ResampleQuality): Promise<Src> {
  const key = `${fromRate}/${toRate}/${quality}`;
  const i = idle.findIndex((e) => e.key === key);
  if (i >= 0) {
    const src = idle.splice(i, 1)[0]!.src;
    // Fresh converter state (the C state was deleted on release): same rates, same quality.
    src.module.init(1, CONVERTER[quality], fromRate, toRate);
    return src;
  }
  return libsamplerate.create(1, fromRate, toRate, { converterType: CONVERTER[quality] });
}

function release(src: Src, key: string): void {
  src.module.destroy();
  idle.push({ key, src });
  if (idle.length > MAX_IDLE) idle.shift();
}

/** The library copies through a 1,008,000-sample transfer buffer; stay well below it. */
const BLOCK = 1 << 15;

function checkRate(name: string, rate: number): void {
  if (!Number.isInteger(rate) || rate < 1 || rate > 192000) {
    throw new RangeError(`resample: ${name} must be an integer from 1 to 192000 Hz (got ${rate})`);
  }
}

/** Streams mono audio through one libsamplerate converter. Create with `await StreamingResampler.create`. */
export class StreamingResampler {
  private inCount = 0;
  private outCount = 0;
  private flushed = false;
  private closed = false;
  private readonly scratch: Float32Array;
  private readonly len = { frames: 0 };

  private constructor(
    private readonly src: Src | null,
    readonly fromRate: number,
    readonly toRate: number,
    private readonly quality: ResampleQuality,
  ) {
    this.scratch = new Float32Array(Math.ceil(BLOCK * (toRate / fromRate)) + 64);
  }

  static async create(fromRate: number, toRate: number, quality: ResampleQuality = 'best'): Promise<StreamingResampler> {
    checkRate('fromRate', fromRate);
    checkRate('toRate', toRate);
    // Equal rates: libsamplerate would return its input untouched; skip creating a converter.
    const src = fromRate === toRate ? null : await acquire(fromRate, toRate, quality);
    return new StreamingResampler(src, fromRate, toRate, quality);
  }

  /** Total output frames for the input pushed so far, once flushed. */
  private expectedTotal(): number {
    return Math.floor((this.inCount * this.toRate) / this.fromRate);
  }

  /** Resamples a chunk; returns the output frames now available (possibly fewer at first: latency). */
  push(chunk: Float32Array): Float32Array {
    if (this.closed || this.flushed) throw new Error('StreamingResampler: push() after flush() or close()');
    this.inCount += chunk.length;
    if (this.src === null) {
      this.outCount += chunk.length;
      return chunk.slice();
    }
    const parts: Float32Array[] = [];
    let total = 0;
    for (let i = 0; i < chunk.length; i += BLOCK) {
      const n = this.process(chunk.subarray(i, Math.min(chunk.length, i + BLOCK)));
      if (n > 0) {
        parts.push(this.scratch.slice(0, n));
        total += n;
      }
    }
    this.outCount += total;
    if (parts.length === 1) return parts[0]!;
    const out = new Float32Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  /** Resamples `chunk` (≤ BLOCK) into the scratch buffer; returns the frames written. */
  private process(chunk: Float32Array): number {
    this.src!.full(chunk, this.scratch, this.len);
    return this.len.frames;
  }

  /** Ends the stream: returns the held-back tail, trimmed so the total matches a one-shot conversion. */
  flush(): Float32Array {
    if (this.closed) throw new Error('StreamingResampler: flush() after close()');
    if (this.flushed) return new Float32Array(0);
    this.flushed = true;
    const want = this.expectedTotal() - this.outCount;
    if (this.src === null || want <= 0) return new Float32Array(0);
    const out = new Float32Array(want);
    const zeros = new Float32Array(Math.min(BLOCK, 4096));
    let got = 0;
    // The tail is about half the sinc filter (a few thousand input frames at most); bound the loop anyway.
    for (let guard = 0; got < want && guard < 1000; guard++) {
      const n = this.process(zeros);
      const take = Math.min(n, want - got);
      out.set(this.scratch.subarray(0, take), got);
      got += take;
    }
    this.outCount += got;
    return got === want ? out : out.subarray(0, got);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.src) release(this.src, `${this.fromRate}/${this.toRate}/${this.quality}`);
  }

  /**
   * Resamples a whole signal into one preallocated array (used by `resample`). The input is pushed in
   * blocks and each block's output is written in place, so memory is the output plus one block.
   */
  convertAll(samples: Float32Array): Float32Array {
    if (this.inCount > 0 || this.flushed || this.closed) throw new Error('StreamingResampler: convertAll() needs a fresh resampler');
    if (this.src === null) {
      this.inCount = this.outCount = samples.length;
      this.flushed = true;
      return samples;
    }
    this.inCount = samples.length;
    const total = this.expectedTotal();
    const out = new Float32Array(total);
    let w = 0;
    for (let i = 0; i < samples.length; i += BLOCK) {
      const n = this.process(samples.subarray(i, Math.min(samples.length, i + BLOCK)));
      const take = Math.min(n, total - w);
      out.set(this.scratch.subarray(0, take), w);
      w += take;
    }
    this.outCount = w;
    const tail = this.flush();
    out.set(tail, w);
    return out;
  }
}

/**
 * Resamples mono audio from `fromRate` to `toRate` (best-quality sinc unless told otherwise).
 * Output length is floor(n × toRate / fromRate). Equal rates return the input array itself.
 */
export async function resample(
  samples: Float32Array,
  fromRate: number,
  toRate: number,
  quality: ResampleQuality = 'best',
): Promise<Float32Array> {
  const r = await StreamingResampler.create(fromRate, toRate, quality);
  try {
    return r.convertAll(samples);
  } finally {
    r.close();
  }
}
