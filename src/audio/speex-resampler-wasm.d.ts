/**
 * Types for @echogarden/speex-resampler-wasm (the package ships none): an emscripten module factory
 * exposing SpeexDSP's resampler C API (speex/speex_resampler.h). Pointers are byte offsets into
 * the module's heap; the HEAP views are replaced when the heap grows, so read them after any malloc.
 */
declare module '@echogarden/speex-resampler-wasm/simd' {
  export interface SpeexResamplerModule {
    readonly HEAPF32: Float32Array;
    readonly HEAPU32: Uint32Array;
    readonly HEAP32: Int32Array;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    /** Returns a state pointer, or 0 with an error code written at errPtr (int). */
    _speex_resampler_init(channels: number, inRate: number, outRate: number, quality: number, errPtr: number): number;
    _speex_resampler_destroy(st: number): void;
    _speex_resampler_skip_zeros(st: number): number;
    _speex_resampler_reset_mem(st: number): number;
    _speex_resampler_get_input_latency(st: number): number;
    _speex_resampler_get_output_latency(st: number): number;
    /** inPtr 0 feeds zeros. inLenPtr/outLenPtr (uint32): capacity in, frames consumed/written out. */
    _speex_resampler_process_float(
      st: number,
      channel: number,
      inPtr: number,
      inLenPtr: number,
      outPtr: number,
      outLenPtr: number,
    ): number;
    _speex_resampler_strerror(code: number): number;
  }
  const createModule: (moduleArg?: Record<string, unknown>) => Promise<SpeexResamplerModule>;
  export default createModule;
}
