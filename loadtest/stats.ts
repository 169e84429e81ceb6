/**
 * Pure statistics for the load generator: percentiles over exact samples, a fixed-width
 * histogram for high-volume figures (generator lateness), and histogram bins for the report.
 */

/** The percentiles every latency figure reports, in percent. */
export const REPORTED_PERCENTILES = [50, 90, 95, 99] as const;

export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * The q-th percentile (q in [0, 100]) of ascending `sorted` values by the nearest-rank
 * method: the smallest value such that at least q % of the samples are ≤ it. Nearest rank
 * never invents a value that was not measured, which keeps "p95 ≤ budget" honest.
 * Returns NaN for an empty input.
 */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 100)) throw new RangeError(`expected a percentile in [0, 100], got ${q}`);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((q / 100) * n));
  return sorted[rank - 1] as number;
}

/** Summarises latencies (ms, any order; the input is not modified). */
export function summarizeLatencies(valuesMs: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(valuesMs).sort();
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i] as number;
  return {
    count: n,
    minMs: n > 0 ? (sorted[0] as number) : Number.NaN,
    meanMs: n > 0 ? sum / n : Number.NaN,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: n > 0 ? (sorted[n - 1] as number) : Number.NaN,
  };
}

/**
 * Counts of values in [0, binWidth·binCount) by fixed-width bins; larger values land in the
 * last (overflow) bin, negative ones in the first. O(1) memory per sample, so it suits
 * figures recorded for every chunk of every stream.
 */
export class FixedHistogram {
  readonly counts: Uint32Array;
  count = 0;
  sum = 0;
  max = Number.NEGATIVE_INFINITY;

  /**
   * @param binWidth width of one bin, in the unit of the values (default 1).
   * @param binCount number of bins, the last one collecting overflow (default 2000).
   */
  constructor(
    readonly binWidth = 1,
    binCount = 2000,
  ) {
    if (!(binWidth > 0)) throw new RangeError(`expected binWidth > 0, got ${binWidth}`);
    if (!(Number.isInteger(binCount) && binCount >= 2)) throw new RangeError(`expected binCount ≥ 2, got ${binCount}`);
    this.counts = new Uint32Array(binCount);
  }

  add(value: number): void {
    const last = this.counts.length - 1;
    const bin = Math.min(last, Math.max(0, Math.floor(value / this.binWidth)));
    this.counts[bin] = (this.counts[bin] as number) + 1;
    this.count++;
    this.sum += value;
    if (value > this.max) this.max = value;
  }

  /** Adds another histogram's counts (same bin layout) into this one. */
  merge(other: { counts: ArrayLike<number>; count: number; sum: number; max: number }): void {
    if (other.counts.length !== this.counts.length) {
      throw new RangeError(`expected ${this.counts.length} bins, got ${other.counts.length}`);
    }
    for (let i = 0; i < this.counts.length; i++) this.counts[i] = (this.counts[i] as number) + (other.counts[i] as number);
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** Upper edge of the bin holding the q-th percentile (nearest rank); NaN when empty. */
  percentile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((q / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] as number;
      // The last bin collects overflow: its only honest upper edge is the max seen.
      if (seen >= rank) return i === this.counts.length - 1 ? this.max : Math.min((i + 1) * this.binWidth, this.max);
    }
    return this.max;
  }
}

export interface HistogramBins {
  /** Lower edge of the first bin, ms. */
  startMs: number;
  binWidthMs: number;
  counts: number[];
  /** Values above the last bin (they are not drawn, only counted). */
  overflow: number;
}

/**
 * Bins latencies for the report's histogram: `binCount` equal bins from 0 to a round upper
 * bound just above the 99.5th percentile, so a few outliers do not flatten the picture.
 */
export function latencyHistogramBins(valuesMs: ArrayLike<number>, binCount = 50): HistogramBins {
  const sorted = Float64Array.from(valuesMs).sort();
  if (sorted.length === 0) return { startMs: 0, binWidthMs: 1, counts: new Array<number>(binCount).fill(0), overflow: 0 };
  const top = Math.max(1, percentile(sorted, 99.5));
  const binWidthMs = niceStep(top / binCount);
  const counts = new Array<number>(binCount).fill(0);
  let overflow = 0;
  for (const v of sorted) {
    const bin = Math.floor(Math.max(0, v) / binWidthMs);
    if (bin >= binCount) overflow++;
    else counts[bin] = (counts[bin] as number) + 1;
  }
  return { startMs: 0, binWidthMs, counts, overflow };
}

/** The smallest 1/2/5 × 10^k at or above `x` (x > 0): readable bin widths and tick steps. */
export function niceStep(x: number): number {
  if (!(x > 0)) return 1;
  const exp = Math.floor(Math.log10(x));
  const base = 10 ** exp;
  for (const m of [1, 2, 5, 10]) if (m * base >= x * (1 - 1e-12)) return m * base;
  return 10 * base;
}
