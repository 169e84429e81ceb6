/**
 * Kaiser window helpers for filter design (Kaiser 1974; formulas as in Oppenheim & Schafer,
 * Discrete-Time Signal Processing, 3rd ed., §7.6).
 */

/** Terms of the I0 power series; 1e-21 relative accuracy for β ≤ 15, far past what we use. */
const BESSEL_I0_TERMS = 40;

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const half = x / 2;
  for (let k = 1; k < BESSEL_I0_TERMS; k++) {
    term *= (half / k) * (half / k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser β for a stopband attenuation in dB (O&S eq. 7.62). */
export function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) return 0.1102 * (attenuationDb - 8.7);
  if (attenuationDb >= 21) return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  return 0;
}

/** Kaiser window at normalised position u ∈ [−1, 1] (0 = centre); 0 outside. */
export function kaiserWindow(u: number, beta: number): number {
  if (u <= -1 || u >= 1) return 0;
  return besselI0(beta * Math.sqrt(1 - u * u)) / besselI0(beta);
}
