/**
 * The polyphase FIR kernel of src/audio/polyphase-resampler.ts, in AssemblyScript (compiled to WASM
 * with 128-bit SIMD by `npm run build`; scripts/build-wasm.mjs). It owns no memory: the caller lays
 * out the tables and buffers in the imported memory and passes byte offsets.
 *
 * Output j is the dot product of one filter row (T float32 taps, T a multiple of 16) with the T input
 * samples starting at the current window position; after output j the window moves on by steps[r]
 * samples and the row index r cycles through 0..L−1. Four vector accumulators (16 products per
 * iteration) hide the latency of the adds; they are summed in one fixed order, so an output never
 * depends on where the window sits in memory or how the input was cut into calls. The loop walks two
 * pointers rather than an index (15 % fewer instructions under callgrind; 32 products per iteration
 * measured no better).
 */

/**
 * Computes `count` outputs. Row r's taps start at taps + r·tapsPerRow·4; steps[r] (int32, samples) is
 * the window's advance after an output that used row r. Returns the window position (samples from
 * `input`) after the last output; the next row is (r0 + count) mod rows.
 */
export function run(
  taps: usize,
  tapsPerRow: i32,
  steps: usize,
  rows: i32,
  r0: i32,
  input: usize,
  output: usize,
  count: i32,
): i32 {
  let pos: i32 = 0;
  let r = r0;
  const rowBytes = (<usize>tapsPerRow) << 2;
  for (let j = 0; j < count; j++) {
    let tp = taps + <usize>r * rowBytes;
    let xp = input + ((<usize>pos) << 2);
    const end = tp + rowBytes;
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    do {
      a0 = f32x4.add(a0, f32x4.mul(v128.load(tp), v128.load(xp)));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(tp, 16), v128.load(xp, 16)));
      a2 = f32x4.add(a2, f32x4.mul(v128.load(tp, 32), v128.load(xp, 32)));
      a3 = f32x4.add(a3, f32x4.mul(v128.load(tp, 48), v128.load(xp, 48)));
      tp += 64;
      xp += 64;
    } while (tp < end);
    const s = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
    store<f32>(
      output + ((<usize>j) << 2),
      f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3)),
    );
    pos += load<i32>(steps + ((<usize>r) << 2));
    r++;
    if (r === rows) r = 0;
  }
  return pos;
}
