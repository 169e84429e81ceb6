/**
 * One stream's utterance statistics on the host (the stats head of cnn-attn-lstm): running
 * sums of the voiced normalised frames and of the first difference between adjacent voiced
 * frames, so the statistics after any step cost 4 × F values to read, whatever the segment's
 * length. Mirrors models/ops/utterance_stats.ts (float64 sums here, float32 there).
 */
import { STATS_VAR_EPS } from '../ops/utterance_stats.js';

export class RunningStats {
  private readonly sum: Float64Array;
  private readonly sumSq: Float64Array;
  private readonly dSum: Float64Array;
  private readonly dSumSq: Float64Array;
  private readonly prev: Float32Array;
  private count = 0;
  private dCount = 0;
  /** The last frame seen was voiced (a delta needs two adjacent voiced frames). */
  private prevVoiced = false;

  constructor(readonly numCoeffs: number) {
    this.sum = new Float64Array(numCoeffs);
    this.sumSq = new Float64Array(numCoeffs);
    this.dSum = new Float64Array(numCoeffs);
    this.dSumSq = new Float64Array(numCoeffs);
    this.prev = new Float32Array(numCoeffs);
  }

  /** Adds `rows` frames of `frames` (row-major, numCoeffs wide) from row `from`, with their voiced flags from `flagFrom`. */
  add(frames: Float32Array, from: number, rows: number, voiced: Uint8Array, flagFrom: number): void {
    const f = this.numCoeffs;
    for (let r = 0; r < rows; r++) {
      if (voiced[flagFrom + r] !== 1) {
        this.prevVoiced = false;
        continue;
      }
      const row = (from + r) * f;
      for (let c = 0; c < f; c++) {
        const v = frames[row + c]!;
        this.sum[c]! += v;
        this.sumSq[c]! += v * v;
        if (this.prevVoiced) {
          const d = v - this.prev[c]!;
          this.dSum[c]! += d;
          this.dSumSq[c]! += d * d;
        }
        this.prev[c] = v;
      }
      if (this.prevVoiced) this.dCount++;
      this.count++;
      this.prevVoiced = true;
    }
  }

  /** Writes [mean | sd | delta mean | delta sd] (4 × numCoeffs) into `out`. */
  features(out: Float64Array): Float64Array {
    const f = this.numCoeffs;
    meanSd(this.sum, this.sumSq, this.count, out, 0, f);
    meanSd(this.dSum, this.dSumSq, this.dCount, out, 2 * f, f);
    return out;
  }

  reset(): void {
    this.sum.fill(0);
    this.sumSq.fill(0);
    this.dSum.fill(0);
    this.dSumSq.fill(0);
    this.count = 0;
    this.dCount = 0;
    this.prevVoiced = false;
  }
}

function meanSd(sum: Float64Array, sumSq: Float64Array, count: number, out: Float64Array, at: number, f: number): void {
  const n = Math.max(count, 1);
  for (let c = 0; c < f; c++) {
    const mean = sum[c]! / n;
    out[at + c] = mean;
    out[at + f + c] = Math.sqrt(Math.max(sumSq[c]! / n - mean * mean, 0) + STATS_VAR_EPS);
  }
}
