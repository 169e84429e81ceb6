/**
 * One stream's utterance statistics on the host (the stats head of cnn-attn-lstm): running
 * sums of the voiced normalised frames and of the first difference between adjacent voiced
 * frames, so the statistics after any step cost 4 × F values to read, whatever the segment's
 * length. Mirrors models/ops/utterance_stats.ts (float64 sums here, float32 there).
 */
import { STATS_VAR_EPS } from '../ops/utterance_stats.js';
import type { SpeakerReference } from './speaker_reference.js';

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

  /**
   * @param reference the stream's speaker reference (speaker_reference.ts), or null: each
   * segment's statistics join it when the segment ends (reset), and features() reads them
   * re-referenced to it.
   */
  constructor(
    readonly numCoeffs: number,
    private readonly reference: SpeakerReference | null = null,
  ) {
    this.sum = new Float64Array(numCoeffs);
    this.sumSq = new Float64Array(numCoeffs);
    this.dSum = new Float64Array(numCoeffs);
    this.dSumSq = new Float64Array(numCoeffs);
    this.prev = new Float32Array(numCoeffs);
  }

  /** Adds `rows` frames of `frames` (row-major, numCoeffs wide) from row `from`, with their voiced flags from `flagFrom`. */
  add(frames: Float32Array, from: number, rows: number, voiced: Uint8Array, flagFrom: number): void {
    const f = this.numCoeffs;
    const continues = this.prevVoiced;
    let after = continues;
    for (let r = 0; r < rows; r++) {
      if (voiced[flagFrom + r] === 1) {
        this.count++;
        if (after) this.dCount++;
        after = true;
      } else {
        after = false;
      }
    }
    this.prevVoiced = after;
    // One coefficient at a time with local accumulators: V8 keeps them in registers, where
    // read-modify-writes of the typed arrays per value cost several times more.
    for (let c = 0; c < f; c++) {
      let s = 0;
      let ss = 0;
      let ds = 0;
      let dss = 0;
      let prev = this.prev[c]!;
      let prevOn = continues;
      for (let r = 0, i = from * f + c; r < rows; r++, i += f) {
        if (voiced[flagFrom + r] !== 1) {
          prevOn = false;
          continue;
        }
        const v = frames[i]!;
        s += v;
        ss += v * v;
        if (prevOn) {
          const d = v - prev;
          ds += d;
          dss += d * d;
        }
        prev = v;
        prevOn = true;
      }
      this.sum[c]! += s;
      this.sumSq[c]! += ss;
      this.dSum[c]! += ds;
      this.dSumSq[c]! += dss;
      this.prev[c] = prev;
    }
  }

  /** Writes [mean | sd | delta mean | delta sd] (4 × numCoeffs) into `out`, re-referenced to the speaker when the stream has a reference. */
  features(out: Float64Array): Float64Array {
    this.rawFeatures(out);
    return this.reference === null ? out : this.reference.apply(out);
  }

  /** Voiced frames summed since the last reset. */
  get voicedFrames(): number {
    return this.count;
  }

  private rawFeatures(out: Float64Array): Float64Array {
    const f = this.numCoeffs;
    meanSd(this.sum, this.sumSq, this.count, out, 0, f);
    meanSd(this.dSum, this.dSumSq, this.dCount, out, 2 * f, f);
    return out;
  }

  /** Forgets the speaker reference's utterances too (a fresh stream); the sums are left to reset(). */
  forgetSpeaker(): void {
    this.reference?.clear();
  }

  /** Ends the segment: its statistics join the speaker reference (if any), the sums start again. */
  reset(): void {
    if (this.reference !== null && this.count > 0) this.reference.addUtterance(this.rawFeatures(new Float64Array(4 * this.numCoeffs)), this.count);
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
