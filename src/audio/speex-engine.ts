/**
 * SpeexDSP's resampler (C, compiled to WASM with SIMD by @echogarden/speex-resampler-wasm): the
 * module is instantiated once, lazily, and shared by every resampler in the process (about 14 ms and
 * a 16 MB heap, once). A resampler state costs well under 1 ms to create, so states are not pooled:
 * each StreamingResampler owns one and destroys it on close.
 *
 * The input and output transfer buffers are allocated once and shared: every call into the module
 * is synchronous, so two resamplers can never use them at the same time.
 */
import type { SpeexResamplerModule } from '@echogarden/speex-resampler-wasm/simd';

/** Input frames handed to one process call. */
const IN_BLOCK = 1 << 14;
/** Output frames one process call may write (4 × the input block: room for 4 kHz → 16 kHz in one go). */
const OUT_BLOCK = 1 << 16;

const SPEEX_ERRORS: Record<number, string> = {
  1: 'out of memory',
  2: 'bad resampler state',
  3: 'invalid argument',
  4: 'input and output buffers overlap',
  5: 'integer overflow',
};

export class SpeexEngine {
  private constructor(
    private readonly m: SpeexResamplerModule,
    private readonly inPtr: number,
    private readonly outPtr: number,
    /** Two uint32: [frames in (capacity → consumed), frames out (capacity → written)]. */
    private readonly lenPtr: number,
    private readonly errPtr: number,
  ) {}

  static async load(): Promise<SpeexEngine> {
    // imported here, not at the top: Speex is only the fallback, and the analysis start-up should not pay for it
    const { default: createModule } = await import('@echogarden/speex-resampler-wasm/simd');
    const m = await createModule();
    const inPtr = m._malloc(IN_BLOCK * 4);
    const outPtr = m._malloc(OUT_BLOCK * 4);
    const lenPtr = m._malloc(8);
    const errPtr = m._malloc(4);
    if (!inPtr || !outPtr || !lenPtr || !errPtr)
      throw new Error('resample: could not allocate the resampler buffers (out of memory)');
    return new SpeexEngine(m, inPtr, outPtr, lenPtr, errPtr);
  }

  /**
   * A mono resampler state whose output sample k is the input at time k / outRate (skip_zeros drops
   * the filter's leading half, so the output is not delayed). Destroy it with `destroy`.
   */
  create(inRate: number, outRate: number, quality: number): number {
    const st = this.m._speex_resampler_init(1, inRate, outRate, quality, this.errPtr);
    if (st === 0) {
      const code = this.m.HEAP32[this.errPtr >> 2]!;
      throw new Error(
        `resample: could not start a ${inRate} Hz → ${outRate} Hz resampler (SpeexDSP: ${SPEEX_ERRORS[code] ?? `error ${code}`}); ` +
          'check the sample rates, or free memory and try again',
      );
    }
    this.m._speex_resampler_skip_zeros(st);
    return st;
  }

  destroy(st: number): void {
    this.m._speex_resampler_destroy(st);
  }

  /** Input frames the state holds back (half the filter): zeros to feed at the end to get the tail out. */
  inputLatency(st: number): number {
    return this.m._speex_resampler_get_input_latency(st);
  }

  /**
   * Feeds `n` frames of `input` (or zeros when `input` is null) to the state and writes the output into
   * `dest` from `pos`, stopping early if `dest` fills up. Returns the new write position and the input
   * frames consumed.
   */
  run(
    st: number,
    input: Float32Array | null,
    n: number,
    dest: Float32Array,
    pos: number,
  ): { pos: number; used: number } {
    const m = this.m;
    const lens = this.lenPtr >> 2;
    const out = this.outPtr >> 2;
    let used = 0;
    while (used < n && pos < dest.length) {
      const inN = Math.min(IN_BLOCK, n - used);
      // HEAP views are re-read each time: they are replaced if the heap ever grows.
      if (input) m.HEAPF32.set(input.subarray(used, used + inN), this.inPtr >> 2);
      m.HEAPU32[lens] = inN;
      m.HEAPU32[lens + 1] = Math.min(OUT_BLOCK, dest.length - pos);
      m._speex_resampler_process_float(st, 0, input ? this.inPtr : 0, this.lenPtr, this.outPtr, this.lenPtr + 4);
      const consumed = m.HEAPU32[lens];
      const written = m.HEAPU32[lens + 1]!;
      dest.set(m.HEAPF32.subarray(out, out + written), pos);
      pos += written;
      used += consumed;
      if (consumed === 0 && written === 0) break; // never spin (cannot happen while dest has room)
    }
    return { pos, used };
  }

  /** Size of the WASM heap in bytes (it grows and never shrinks): how tests see a leak. */
  heapBytes(): number {
    return this.m.HEAPF32.byteLength;
  }
}

let loading: Promise<SpeexEngine> | undefined;

/** The shared engine, instantiated on first use; a failed load is retried on the next call. */
export function speexEngine(): Promise<SpeexEngine> {
  loading ??= SpeexEngine.load().catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}
