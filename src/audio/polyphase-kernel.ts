/**
 * The two interchangeable kernels of the polyphase resampler, with one calling convention (offsets in
 * float32/int32 elements of one buffer):
 *  - 'wasm': wasm/polyphase-kernel.ts compiled by `npm run build` (AssemblyScript, 128-bit SIMD), the
 *    default; the module (≈ 400 bytes) is compiled once per process, each resampler instantiates it
 *    over its own memory, which the garbage collector frees with the resampler;
 *  - 'js': the same sums in plain JavaScript over Float32Arrays (products and sums in float64, the result
 *    rounded to float32), for the bench's side-by-side comparison and where WASM SIMD is missing.
 * Each sums a window's products in one fixed order whatever the window's place in memory, so each is
 * deterministic; they differ from each other only by rounding (≤ 1e-6, test/audio/resample.test.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type KernelKind = 'wasm' | 'js';

// The slice of the WebAssembly JS API used here (the project's lib settings carry no WebAssembly types).
interface WasmModule {
  readonly __wasmModule: unique symbol;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (
    module: WasmModule,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer };
};

export interface PolyphaseKernel {
  /** Memory the kernel works in: the caller lays out taps, steps, input and output here. */
  readonly f32: Float32Array;
  readonly i32: Int32Array;
  /**
   * `count` outputs into f32[output..]; row r's taps at f32[taps + r·tapsPerRow ..]; the window starts
   * at f32[input] and moves on by i32[steps + r] after an output made with row r. Returns the window's
   * final position relative to `input`.
   */
  run(
    taps: number,
    tapsPerRow: number,
    steps: number,
    rows: number,
    r0: number,
    input: number,
    output: number,
    count: number,
  ): number;
}

const WASM_FILE = 'polyphase-kernel.wasm';
const PAGE = 65536;

let compiled: WasmModule | undefined;

/** The compiled kernel; next to this module in dist/, or in dist/ when running the sources (tsx). */
function wasmModule(): WasmModule {
  if (compiled) return compiled;
  const candidates = [
    new URL(`./${WASM_FILE}`, import.meta.url),
    new URL(`../../dist/src/audio/${WASM_FILE}`, import.meta.url),
  ];
  const file = candidates.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
  if (!file)
    throw new Error(`resample: the resampler kernel ${WASM_FILE} is missing; run \`npm run build\` to compile it`);
  compiled = new WebAssembly.Module(readFileSync(file));
  return compiled;
}

/** A kernel over `bytes` of fresh, zeroed memory. */
export function createKernel(kind: KernelKind, bytes: number): PolyphaseKernel {
  if (kind === 'js') {
    const buffer = new ArrayBuffer(bytes);
    const f32 = new Float32Array(buffer);
    const i32 = new Int32Array(buffer);
    return { f32, i32, run: (...args) => runJs(f32, i32, ...args) };
  }
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) });
  const instance = new WebAssembly.Instance(wasmModule(), { env: { memory } });
  const run = instance.exports['run'] as (...args: number[]) => number;
  // Offsets are passed in elements; the WASM function takes bytes.
  return {
    f32: new Float32Array(memory.buffer),
    i32: new Int32Array(memory.buffer),
    run: (taps, tapsPerRow, steps, rows, r0, input, output, count) =>
      run(taps * 4, tapsPerRow, steps * 4, rows, r0, input * 4, output * 4, count),
  };
}

function runJs(
  f32: Float32Array,
  i32: Int32Array,
  taps: number,
  tapsPerRow: number,
  steps: number,
  rows: number,
  r0: number,
  input: number,
  output: number,
  count: number,
): number {
  let pos = 0;
  let r = r0;
  for (let j = 0; j < count; j++) {
    const row = taps + r * tapsPerRow;
    const x = input + pos;
    let a0 = 0,
      a1 = 0,
      a2 = 0,
      a3 = 0;
    for (let i = 0; i < tapsPerRow; i += 4) {
      a0 += f32[row + i]! * f32[x + i]!;
      a1 += f32[row + i + 1]! * f32[x + i + 1]!;
      a2 += f32[row + i + 2]! * f32[x + i + 2]!;
      a3 += f32[row + i + 3]! * f32[x + i + 3]!;
    }
    f32[output + j] = a0 + a1 + (a2 + a3);
    pos += i32[steps + r]!;
    if (++r === rows) r = 0;
  }
  return pos;
}
