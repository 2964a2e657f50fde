/**
 * The filter of the polyphase resampler, designed once per rate pair and cached.
 *
 * Rational conversion by L/M (from·L/M = to, L and M coprime): conceptually, insert L − 1 zeros
 * between input samples (rate L·from), low-pass with a prototype FIR h, keep every M-th sample. Only
 * the products with non-zero inputs are computed: output k sits at upsampled position k·M = q·L + p,
 * so y[k] = Σ_i L·h[p + (D − i)·L] · x[q − D + i], i = 0..T−1 — one row of T taps per phase p, the
 * window starting at input q − D. (Crochiere & Rabiner, Multirate Digital Signal Processing, 1983, ch. 3.)
 *
 * Prototype: a sinc at the centre of the transition band, times a Kaiser window (kaiser.ts: Kaiser's
 * β and length for the attenuation and the transition width at the upsampled rate); the taps are scaled
 * so that their sum is L (unity gain at DC after the zero-stuffing).
 *
 * Specification (PASS_FRACTION, ATTENUATION_DB), relative to the lower of the two Nyquist frequencies, B (8 kHz for
 * 16 kHz output): flat to 0.9375 B (7.5 kHz: YAMNet's top mel band edge), −6 dB at 0.96875 B, stop
 * from B (no alias or image lands below B un-attenuated), 125 dB attenuation. SpeexDSP quality 9,
 * which it replaces, measures −0.0165 dB at 0.9375 B and ≥ 121.8 dB from B on (test/audio/resample.test.ts
 * measures both side by side on every engine ratio).
 *
 * Plan (polyphasePlan): the cost of a stage is its taps per output, set by its transition width at
 * its input rate. Where one rate is at least twice the other (44.1 and 48 kHz ↔ 16 kHz) a first
 * 2:1 stage (last for up-conversion) halves the rate at which the sharp 0.9375 B → B transition is
 * done; the 2:1 stage itself only has to keep [0, B) free of aliases, so its transition is wide
 * (0.9375 B → R/2 − B, R the higher rate) and it is short. 44.1 → 16 kHz: 1.38 × 64 + 368 = 456
 * products per output sample instead of 720 in one stage.
 */
import { besselI0, kaiserBeta, kaiserOrder, kaiserWindowAt } from './kaiser.js';

export interface FilterSpec {
  /** Passband edge, Hz. */
  passHz: number;
  /** Stopband edge, Hz (may lie above the stage's lower Nyquist: a 2:1 stage lets aliases land where a later stage removes them). */
  stopHz: number;
  /** Stopband attenuation (and passband ripple 10^(−A/20)), dB. */
  attenuationDb: number;
}

/** Passband edge and stopband attenuation of every conversion, relative to the lower Nyquist B. */
export const PASS_FRACTION = 0.9375;
export const ATTENUATION_DB = 125;

/**
 * A conversion fused with band-limiting to `bandLimitHz` (the heads' path): band-limit.ts's own
 * specification — pass to 0.875 × the cutoff, stop from 1.125 ×, 80 dB — in place of the full-band one,
 * so the fused path removes what the separate band-limit would, and costs less than the plain
 * conversion (its transition is as wide, its attenuation lower).
 */
export const BAND_LIMIT_SPEC = { pass: 0.875, stop: 1.125, attenuationDb: 80 } as const;

/** One conversion of a plan. */
export interface Stage {
  fromRate: number;
  toRate: number;
  spec: FilterSpec;
}

/** The final filter of a conversion: full band (to 0.9375 B, stop at B) or fused with a band-limit. */
export function conversionSpec(fromRate: number, toRate: number, bandLimitHz?: number): FilterSpec {
  const band = Math.min(fromRate, toRate) / 2;
  if (bandLimitHz !== undefined && BAND_LIMIT_SPEC.stop * bandLimitHz < band)
    return {
      passHz: BAND_LIMIT_SPEC.pass * bandLimitHz,
      stopHz: BAND_LIMIT_SPEC.stop * bandLimitHz,
      attenuationDb: BAND_LIMIT_SPEC.attenuationDb,
    };
  return { passHz: PASS_FRACTION * band, stopHz: band, attenuationDb: ATTENUATION_DB };
}

/**
 * The stages that convert fromRate to toRate (one, or a 2:1 stage first/last: see above). The 2:1
 * stage keeps the passband flat and stops from R/2 − (the final stop edge), so nothing it aliases lands
 * below the final stop edge; the final filter removes the rest.
 */
export function polyphasePlan(fromRate: number, toRate: number, bandLimitHz?: number): Stage[] {
  const core = conversionSpec(fromRate, toRate, bandLimitHz);
  const halfSpec = (high: number): FilterSpec => ({
    passHz: core.passHz,
    stopHz: high / 2 - core.stopHz,
    attenuationDb: core.attenuationDb,
  });
  if (fromRate % 2 === 0 && fromRate / 2 >= toRate && fromRate / 2 !== toRate) {
    const mid = fromRate / 2;
    return [
      { fromRate, toRate: mid, spec: halfSpec(fromRate) },
      { fromRate: mid, toRate, spec: core },
    ];
  }
  if (toRate % 2 === 0 && toRate / 2 >= fromRate && toRate / 2 !== fromRate) {
    const mid = toRate / 2;
    return [
      { fromRate, toRate: mid, spec: core },
      { fromRate: mid, toRate, spec: halfSpec(toRate) },
    ];
  }
  return [{ fromRate, toRate, spec: core }];
}

/** Taps per row are a multiple of this: the SIMD kernel takes 16 products per iteration. */
const ROW_MULTIPLE = 16;

/** Above this many taps (4 MB of float32) the table is not built: resample.ts falls back to SpeexDSP. */
export const MAX_TABLE_TAPS = 1 << 20;

export interface PolyphaseTable {
  fromRate: number;
  toRate: number;
  spec: FilterSpec;
  /** Interpolation factor L (rows) and decimation factor M. */
  up: number;
  down: number;
  /** Taps per row (a multiple of 16; the last ones may be zero). */
  tapsPerRow: number;
  /** Input samples before q that the window reaches back: output k's window starts at input q_k − D. */
  reach: number;
  /** rows × tapsPerRow float32, row r for the r-th output of each cycle of L outputs. */
  taps: Float32Array;
  /** Window advance (input samples) after the r-th output of a cycle; they sum to M. */
  steps: Int32Array;
  /** The prototype's length at the upsampled rate (2·half + 1) and its Kaiser β, for the record. */
  prototypeLength: number;
  beta: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Up/down factors and the table size a rate pair would need, without designing it. */
export function polyphaseSize(
  fromRate: number,
  toRate: number,
  spec: FilterSpec,
): { up: number; down: number; half: number; tapsPerRow: number; tableTaps: number } {
  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  const upRate = up * fromRate;
  const transitionRad = (2 * Math.PI * (spec.stopHz - spec.passHz)) / upRate;
  const half = Math.ceil(kaiserOrder(spec.attenuationDb, transitionRad) / 2);
  // Row p uses prototype offsets p + j·L for j = D − i; |offset| ≤ half needs j from −⌊(half + L − 1)/L⌋ to ⌊half/L⌋.
  const reach = Math.floor(half / up);
  const span = reach + Math.floor((half + up - 1) / up) + 1;
  const tapsPerRow = Math.ceil(span / ROW_MULTIPLE) * ROW_MULTIPLE;
  return { up, down, half, tapsPerRow, tableTaps: up * tapsPerRow };
}

const cache = new Map<string, PolyphaseTable>();

/** The table for a rate pair (cached: designing the 44.1 → 16 kHz one takes a few milliseconds). */
export function polyphaseTable(fromRate: number, toRate: number, spec: FilterSpec): PolyphaseTable {
  const key = `${fromRate}/${toRate}/${spec.passHz}/${spec.stopHz}/${spec.attenuationDb}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const { up, down, half, tapsPerRow, tableTaps } = polyphaseSize(fromRate, toRate, spec);
  if (tableTaps > MAX_TABLE_TAPS) throw new RangeError(`polyphase: ${fromRate} → ${toRate} Hz needs too large a table`);
  const upRate = up * fromRate;
  const cutoff = (spec.passHz + spec.stopHz) / 2 / upRate; // cycles per upsampled sample
  const beta = kaiserBeta(spec.attenuationDb);
  const i0b = besselI0(beta);
  // The prototype, offsets −half..half, in float64; symmetric, so only 0..half is computed.
  const proto = new Float64Array(half + 1);
  let sum = 0;
  for (let u = 0; u <= half; u++) {
    const sinc = u === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * u) / (Math.PI * u);
    proto[u] = sinc * kaiserWindowAt(u, half, beta, i0b);
    sum += u === 0 ? proto[u]! : 2 * proto[u]!;
  }
  const scale = up / sum;
  const reach = Math.floor(half / up);
  const taps = new Float32Array(tableTaps);
  const steps = new Int32Array(up);
  for (let r = 0; r < up; r++) {
    const pos = r * down; // upsampled position of the r-th output of a cycle
    const p = pos % up;
    steps[r] = Math.floor(((r + 1) * down) / up) - Math.floor(pos / up);
    for (let i = 0; i < tapsPerRow; i++) {
      const u = Math.abs(p + (reach - i) * up);
      if (u <= half) taps[r * tapsPerRow + i] = proto[u]! * scale;
    }
  }
  const table: PolyphaseTable = {
    fromRate,
    toRate,
    spec,
    up,
    down,
    tapsPerRow,
    reach,
    taps,
    steps,
    prototypeLength: 2 * half + 1,
    beta,
  };
  cache.set(key, table);
  return table;
}
