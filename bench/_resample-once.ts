/**
 * Child of bench/analysis.ts's callgrind section: converts `seconds` of noise from `rate` to 16 kHz
 * `times` times (after one 1 s conversion that loads the method), so that the instruction count of the
 * first conversion is count(1) − count(0) and of a warm one (JIT and WASM tier-up done) count(2) − count(1).
 *   node dist/bench/_resample-once.js <speex|polyphase|polyphase-js> <rate> <seconds> <times>
 */
import { resample, type ResampleMethod } from '../src/audio/resample.js';

const [method, rateArg, secondsArg, timesArg] = process.argv.slice(2);
const rate = Number(rateArg);
const times = Number(timesArg);
const x = new Float32Array(rate * Number(secondsArg));
let s = 1;
for (let i = 0; i < x.length; i++) {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  x[i] = 0.1 * (s / 2 ** 32 - 0.5);
}
await resample(x.subarray(0, rate), rate, 16000, method as ResampleMethod);
for (let i = 0; i < times; i++) await resample(x, rate, 16000, method as ResampleMethod);
