/**
 * Types for @echogarden/pffft-wasm (the package ships none): an emscripten module factory exposing
 * PFFFT's C API (src/pffft.h). Pointers are byte offsets into the module's heap; HEAPF32 is replaced
 * when the heap grows, so read it after any allocation.
 */
declare module '@echogarden/pffft-wasm/simd' {
  export interface PffftModule {
    readonly HEAPF32: Float32Array;
    /** transform: 0 real, 1 complex. Returns a setup pointer, 0 if n is not supported. */
    _pffft_new_setup(n: number, transform: number): number;
    _pffft_destroy_setup(setup: number): void;
    /** 16-byte aligned allocation (SIMD loads need it). */
    _pffft_aligned_malloc(bytes: number): number;
    _pffft_aligned_free(ptr: number): void;
    /** direction: 0 forward, 1 backward; real forward output: [F0, F(n/2), re1, im1, re2, im2, ...]. */
    _pffft_transform_ordered(setup: number, input: number, output: number, work: number, direction: number): void;
  }
  const createModule: (moduleArg?: Record<string, unknown>) => Promise<PffftModule>;
  export default createModule;
}
