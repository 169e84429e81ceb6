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

/**
 * Theil–Sen slope per second: the median of the slopes of every pair of points at distinct
 * times. Robust to the spikes of a sawtooth (up to ~29 % outliers); NaN with fewer than two.
 */
export function theilSenSlope(points: readonly TimePoint[]): number {
  const finite = points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.tSeconds));
  const slopes: number[] = [];
  for (let i = 0; i < finite.length; i += 1) {
    for (let j = i + 1; j < finite.length; j += 1) {
      const a = finite[i] as TimePoint;
      const b = finite[j] as TimePoint;
      if (b.tSeconds !== a.tSeconds) slopes.push((b.value - a.value) / (b.tSeconds - a.tSeconds));
    }
  }
  if (slopes.length === 0) return Number.NaN;
  slopes.sort((x, y) => x - y);
  const mid = slopes.length >> 1;
  return slopes.length % 2 === 1 ? (slopes[mid] as number) : ((slopes[mid - 1] as number) + (slopes[mid] as number)) / 2;
}

/**
 * The floor of a series: its minimum in each window of `windowSeconds` from the first point,
 * placed at the window's middle. A process's RSS is a sawtooth (GC, allocator, wasm memory
 * high-water marks); a leak lifts its floor, the teeth do not.
 */
export function windowFloors(points: readonly TimePoint[], windowSeconds: number): TimePoint[] {
  const finite = points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.tSeconds));
  if (finite.length === 0 || !(windowSeconds > 0)) return [];
  const t0 = (finite[0] as TimePoint).tSeconds;
  const floors = new Map<number, number>();
  for (const p of finite) {
    const k = Math.floor((p.tSeconds - t0) / windowSeconds);
    floors.set(k, Math.min(floors.get(k) ?? Number.POSITIVE_INFINITY, p.value));
  }
  return [...floors].map(([k, value]) => ({ tSeconds: t0 + (k + 0.5) * windowSeconds, value }));
}

/** Floor windows per half of a run: six, of 10 s to 5 min each. */
const FLOOR_WINDOWS = 6;
const FLOOR_WINDOW_SECONDS = { min: 10, max: 300 };

/**
 * Slope per minute of the floor of `pick(sample)` over the second half of `samples`: the
 * Theil–Sen slope of the minima of six windows (10 s – 5 min each). NaN if undefined.
 */
export function secondHalfFloorSlopePerMinute<T extends { tSeconds: number }>(samples: readonly T[], pick: (s: T) => number | null): number {
  const points = secondHalfPoints(samples, pick);
  if (points.length < 2) return Number.NaN;
  const spanSeconds = (points[points.length - 1] as TimePoint).tSeconds - (points[0] as TimePoint).tSeconds;
  const windowSeconds = Math.min(FLOOR_WINDOW_SECONDS.max, Math.max(FLOOR_WINDOW_SECONDS.min, spanSeconds / FLOOR_WINDOWS));
  return theilSenSlope(windowFloors(points, windowSeconds)) * 60;
}
