/**
 * TensorFlow-to-ONNX layout arithmetic: 'SAME' padding and weight transposes.
 * TFLite keeps activations NHWC and conv weights [O, kH, kW, I] (depthwise [1, kH, kW, C·m]);
 * ONNX Conv wants NCHW and weights [O, I/group, kH, kW].
 */

export interface SamePadding {
  out: number;
  begin: number;
  end: number;
}

/**
 * TensorFlow 'SAME': out = ceil(in / stride); the total padding is split with the extra
 * element at the END when it is odd (ONNX's SAME_UPPER, but we write explicit pads).
 */
export function samePadding(size: number, kernel: number, stride: number, dilation = 1): SamePadding {
  const out = Math.ceil(size / stride);
  const effective = (kernel - 1) * dilation + 1;
  const total = Math.max((out - 1) * stride + effective - size, 0);
  const begin = Math.floor(total / 2);
  return { out, begin, end: total - begin };
}

/** 'VALID': no padding. */
export function validOutput(size: number, kernel: number, stride: number, dilation = 1): number {
  return Math.floor((size - ((kernel - 1) * dilation + 1)) / stride) + 1;
}

/** Conv weights [O, kH, kW, I] -> [O, I, kH, kW]. */
export function convWeightsToOihw(w: Float32Array, o: number, kh: number, kw: number, i: number): Float32Array {
  if (w.length !== o * kh * kw * i) throw new Error('convWeightsToOihw: size does not match the shape');
  const out = new Float32Array(w.length);
  for (let a = 0; a < o; a++)
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let c = 0; c < i; c++) out[((a * i + c) * kh + y) * kw + x] = w[((a * kh + y) * kw + x) * i + c]!;
  return out;
}

/** Depthwise weights [1, kH, kW, C] -> [C, 1, kH, kW] (a Conv with group = input channels). */
export function depthwiseWeightsToOihw(w: Float32Array, kh: number, kw: number, c: number): Float32Array {
  if (w.length !== kh * kw * c) throw new Error('depthwiseWeightsToOihw: size does not match the shape');
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++) for (let ch = 0; ch < c; ch++) out[(ch * kh + y) * kw + x] = w[(y * kw + x) * c + ch]!;
  return out;
}

/** NHWC activations -> NCHW (tests and the reference evaluation use it). */
export function nhwcToNchw(a: Float32Array | Float64Array, n: number, h: number, w: number, c: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) out[((b * c + ch) * h + y) * w + x] = a[((b * h + y) * w + x) * c + ch]!;
  return out;
}
