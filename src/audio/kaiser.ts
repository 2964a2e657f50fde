/**
 * Kaiser-window FIR design, as in J. F. Kaiser, "Nonrecursive digital filter design using the I0-sinh
 * window function" (Proc. IEEE ISCAS 1974) and A. V. Oppenheim & R. W. Schafer, Discrete-Time Signal
 * Processing, 3rd ed., §7.5.3, eqs. (7.62)-(7.63):
 *   β = 0.1102 (A − 8.7)                          for A > 50 dB
 *   M = (A − 7.95) / (2.285 Δω)                   filter order (length M + 1), Δω the transition width in rad/sample
 *   w[n] = I0(β √(1 − ((n − M/2)/(M/2))²)) / I0(β),   n = 0..M
 * A is the stopband attenuation in dB and also sets the passband ripple: δp = δs = 10^(−A/20).
 * Used by the band-limit low-pass (band-limit.ts) and the resampler's polyphase prototype
 * (polyphase-design.ts); each measures its own result in its tests.
 */

/** Zeroth-order modified Bessel function of the first kind (power series; converges fast for β < 20). */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 60; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser's β for a stopband attenuation of `attenuationDb` (eq. 7.62; > 50 dB branch, which is all we use). */
export function kaiserBeta(attenuationDb: number): number {
  if (!(attenuationDb > 50)) throw new RangeError(`kaiserBeta: attenuation must exceed 50 dB (got ${attenuationDb})`);
  return 0.1102 * (attenuationDb - 8.7);
}

/** Kaiser's filter order M for an attenuation and a transition width Δω in radians per sample (eq. 7.63). */
export function kaiserOrder(attenuationDb: number, transitionRad: number): number {
  return Math.ceil((attenuationDb - 7.95) / (2.285 * transitionRad));
}

/** The window value at offset `k` from the centre of a window of half-length `half` (|k| ≤ half). */
export function kaiserWindowAt(k: number, half: number, beta: number, i0Beta = besselI0(beta)): number {
  const r = k / half;
  return besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
}
