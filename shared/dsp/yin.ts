/**
 * YIN's per-frame math (de Cheveigné & Kawahara 2002, steps 2–5), for the pitch stage
 * (pitch.ts): difference function d(τ), cumulative-mean-normalised d'(τ), absolute threshold
 * walked down to its local minimum (else the global minimum), parabolic refinement.
 *
 * d' is computed lag by lag only as far as the search reads it (τ* + 1 when a dip is found,
 * else every lag), so a voiced frame costs a fraction of an unvoiced one; every value read is
 * the same either way. A `SquaredDifferences` kernel (yin_kernel.ts, wasm SIMD) computes d(τ)
 * in blocks of lags, bit-identical to the JS loop here. One `Yin` per stream: it owns the d'
 * scratch and leaves its answer in fields, so a frame allocates nothing.
 */

/**
 * d(τ) for τ = from … to of the segment being analysed, returned at index τ of an array:
 * the wasm kernel's, whose segment must then be the kernel's own scratch.
 */
export type SquaredDifferences = (window: number, from: number, to: number) => Float64Array;

/** Lags per kernel call: enough to amortise the call, few enough to stop soon after a dip. */
const KERNEL_LAGS = 8;

/** d(τ) = Σ_{j<window} (s[j] − s[j+τ])², in two partial sums (even and odd j). */
function squaredDifference(segment: Float64Array, window: number, tau: number): number {
  let even = 0;
  let odd = 0;
  let j = 0;
  for (; j + 1 < window; j += 2) {
    const a = segment[j]! - segment[j + tau]!;
    const b = segment[j + 1]! - segment[j + 1 + tau]!;
    even += a * a;
    odd += b * b;
  }
  if (j < window) {
    const a = segment[j]! - segment[j + tau]!;
    even += a * a;
  }
  return even + odd;
}

export class Yin {
  /** τ* of the last `analyse`, samples, refined (fractional). */
  lagSamples = 0;
  /** d'(τ*) of the last `analyse`, at the integer lag. */
  aperiodicity = 1;
  /** d'(τ) at index τ, filled up to `computed`. */
  private readonly diff: Float64Array;
  private computed = 0;
  private cumulative = 0;

  /** Segments hold `window + maxLag + 1` samples; lags are searched in [minLag, maxLag]. */
  constructor(
    readonly window: number,
    readonly minLag: number,
    readonly maxLag: number,
    readonly threshold: number,
    private readonly kernel?: SquaredDifferences,
  ) {
    this.diff = new Float64Array(maxLag + 2);
  }

  analyse(segment: Float64Array): void {
    const { diff, minLag, maxLag, threshold } = this;
    diff[0] = 1;
    this.computed = 0;
    this.cumulative = 0;
    let best = -1;
    this.fillTo(segment, minLag);
    for (let tau = minLag; tau <= maxLag; tau++) {
      this.fillTo(segment, tau + 1);
      if (diff[tau]! < threshold) {
        while (tau + 1 <= maxLag && diff[tau + 1]! < diff[tau]!) {
          tau++;
          this.fillTo(segment, tau + 1);
        }
        best = tau;
        break;
      }
    }
    if (best < 0) {
      best = minLag;
      for (let tau = minLag + 1; tau <= maxLag; tau++) if (diff[tau]! < diff[best]!) best = tau;
    }
    // Parabolic interpolation (d'(τ* + 1) is filled: at most maxLag + 1).
    const a = diff[best - 1]!;
    const b = diff[best]!;
    const c = diff[best + 1]!;
    const curvature = a - 2 * b + c;
    let shift = curvature > 0 ? (0.5 * (a - c)) / curvature : 0;
    if (shift > 0.5) shift = 0.5;
    else if (shift < -0.5) shift = -0.5;
    this.lagSamples = best + shift;
    this.aperiodicity = b;
  }

  /** Fills d' up to `lag` (a kernel block may go further, never past maxLag + 1). */
  private fillTo(segment: Float64Array, lag: number): void {
    const from = this.computed + 1;
    if (lag < from) return;
    const to = this.kernel === undefined ? lag : Math.min(this.maxLag + 1, Math.max(lag, this.computed + KERNEL_LAGS));
    const d = this.kernel?.(this.window, from, to);
    let cumulative = this.cumulative;
    for (let tau = from; tau <= to; tau++) {
      const dTau = d === undefined ? squaredDifference(segment, this.window, tau) : d[tau]!;
      cumulative += dTau;
      this.diff[tau] = cumulative > 0 ? (dTau * tau) / cumulative : 1;
    }
    this.cumulative = cumulative;
    this.computed = to;
  }
}
