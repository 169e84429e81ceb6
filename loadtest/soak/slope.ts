/**
 * Trend math of the soak's verdict, pure: the least-squares slope of a series over time and
 * the second half of a run (the first half includes warm-up: JIT, wasm memory growth, the
 * allocator finding its working set).
 */

export interface TimePoint {
  /** Seconds since the start of the run. */
  tSeconds: number;
  value: number;
}

/**
 * Ordinary least-squares line through (tSeconds, value): slope per second and the value at
 * t = 0. Points whose value is not finite are skipped; NaNs when fewer than two remain or
 * all share one time.
 */
export function leastSquaresFit(points: readonly TimePoint[]): { slope: number; intercept: number } {
  const finite = points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.tSeconds));
  const n = finite.length;
  if (n < 2) return { slope: Number.NaN, intercept: Number.NaN };
  const meanT = finite.reduce((s, p) => s + p.tSeconds, 0) / n;
  const meanV = finite.reduce((s, p) => s + p.value, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of finite) {
    num += (p.tSeconds - meanT) * (p.value - meanV);
    den += (p.tSeconds - meanT) ** 2;
  }
  if (!(den > 0)) return { slope: Number.NaN, intercept: Number.NaN };
  const slope = num / den;
  return { slope, intercept: meanV - slope * meanT };
}

/** The slope alone, per second (see leastSquaresFit). */
export function leastSquaresSlope(points: readonly TimePoint[]): number {
  return leastSquaresFit(points).slope;
}

/**
 * The samples a trend is judged on: those of the churn itself, up to `churnSeconds` (the
 * tail while the last careless clients wait to be dropped carries no steady load).
 */
export function churnWindow<T extends { tSeconds: number }>(samples: readonly T[], churnSeconds: number): T[] {
  return samples.filter((s) => s.tSeconds <= churnSeconds);
}

/** The points at or after the middle of [first, last] time. */
export function secondHalf<T extends { tSeconds: number }>(points: readonly T[]): T[] {
  if (points.length === 0) return [];
  const first = points[0] as T;
  const last = points[points.length - 1] as T;
  const middle = (first.tSeconds + last.tSeconds) / 2;
  return points.filter((p) => p.tSeconds >= middle);
}

/** `pick(sample)` over the second half of `samples` as fit points (null → skipped). */
export function secondHalfPoints<T extends { tSeconds: number }>(samples: readonly T[], pick: (s: T) => number | null): TimePoint[] {
  return secondHalf(samples).map((s) => ({ tSeconds: s.tSeconds, value: pick(s) ?? Number.NaN }));
}

/** Slope per minute of `pick(sample)` over the second half of `samples` (NaN if undefined). */
export function secondHalfSlopePerMinute<T extends { tSeconds: number }>(samples: readonly T[], pick: (s: T) => number | null): number {
  return leastSquaresSlope(secondHalfPoints(samples, pick)) * 60;
}
