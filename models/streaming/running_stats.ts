/**
 * One stream's utterance statistics on the host (the stats head of cnn-attn-lstm): sums of
 * the voiced normalised frames and of the first difference between adjacent voiced frames,
 * so the statistics after any step cost a few reads whatever the segment's length. Mirrors
 * models/ops/utterance_stats.ts (float64 sums here, float32 there).
 *
 * Bounded window: the statistics cover the newest frames of the segment only, as the
 * training span bounded them in training (no training clip gave statistics over more). The
 * sums are kept in STATS_WINDOW_BLOCKS blocks of `windowFrames / STATS_WINDOW_BLOCKS` frames
 * counted from the segment's start; the statistics cover the block holding the newest frame
 * and the ones before it, up to STATS_WINDOW_BLOCKS blocks, that is the newest
 * (blocks − 1) · blockFrames + 1 … blocks · blockFrames (≤ windowFrames) frames, and all of
 * a segment no longer than that. The window reads as an utterance of its own: the difference
 * that crosses into its oldest block is left out (statsWindowStart gives the offline path
 * the same frames). Without a window (Infinity) every frame of the segment counts.
 */
import { STATS_VAR_EPS } from '../ops/utterance_stats.js';
import type { SpeakerReference } from './speaker_reference.js';
import { statsWindowBlocks } from './stats_window.js';

/** Per block: [sum | sumSq | dSum | dSumSq | crossing dSum | crossing dSumSq] × F, and [count | dCount | crossing dCount]. */
const SUMS = 6;
const COUNTS = 3;

export class RunningStats {
  private readonly blockFrames: number;
  private readonly blocks: number;
  private readonly sums: Float64Array;
  private readonly counts: Float64Array;
  /** The window's totals [sum | sumSq | dSum | dSumSq], filled by features(). */
  private readonly totals: Float64Array;
  private readonly prev: Float32Array;
  /** Frames added since the last reset, and the block of the newest one (-1: none yet). */
  private frames = 0;
  private block = -1;
  /** The last frame seen was voiced (a delta needs two adjacent voiced frames). */
  private prevVoiced = false;

  /**
   * @param reference the stream's speaker reference (speaker_reference.ts), or null: each
   * segment's statistics join it when the segment ends (reset), and features() reads them
   * re-referenced to it.
   * @param windowFrames the statistics cover at most this many of the newest frames
   * (see above); Infinity = the whole segment.
   */
  constructor(
    readonly numCoeffs: number,
    private readonly reference: SpeakerReference | null = null,
    readonly windowFrames = Infinity,
  ) {
    ({ blockFrames: this.blockFrames, blocks: this.blocks } = statsWindowBlocks(windowFrames));
    this.sums = new Float64Array(this.blocks * SUMS * numCoeffs);
    this.counts = new Float64Array(this.blocks * COUNTS);
    this.totals = new Float64Array(4 * numCoeffs);
    this.prev = new Float32Array(numCoeffs);
  }

  /** Adds `rows` frames of `frames` (row-major, numCoeffs wide) from row `from`, with their voiced flags from `flagFrom`. */
  add(frames: Float32Array, from: number, rows: number, voiced: Uint8Array, flagFrom: number): void {
    let r = 0;
    while (r < rows) {
      const block = Math.floor(this.frames / this.blockFrames);
      if (block !== this.block) this.enterBlock(block);
      const run = Math.min(rows - r, (block + 1) * this.blockFrames - this.frames);
      this.accumulate(frames, from + r, run, voiced, flagFrom + r, this.frames % this.blockFrames === 0);
      this.frames += run;
      r += run;
    }
  }

  /** Writes [mean | sd | delta mean | delta sd] (4 × numCoeffs) of the window into `out`, re-referenced to the speaker when the stream has a reference. */
  features(out: Float64Array): Float64Array {
    this.rawFeatures(out);
    return this.reference === null ? out : this.reference.apply(out);
  }

  /** Voiced frames in the window. */
  get voicedFrames(): number {
    return this.windowCounts().count;
  }

  /** Forgets the speaker reference's utterances too (a fresh stream); the sums are left to reset(). */
  forgetSpeaker(): void {
    this.reference?.clear();
  }

  /** Ends the segment: its (window's) statistics join the speaker reference (if any), the sums start again. */
  reset(): void {
    const count = this.voicedFrames;
    if (this.reference !== null && count > 0) this.reference.addUtterance(this.rawFeatures(new Float64Array(4 * this.numCoeffs)), count);
    this.sums.fill(0);
    this.counts.fill(0);
    this.frames = 0;
    this.block = -1;
    this.prevVoiced = false;
  }

  /** Starts block `block` in its ring slot (the block it replaces has left the window). */
  private enterBlock(block: number): void {
    const slot = block % this.blocks;
    this.sums.fill(0, slot * SUMS * this.numCoeffs, (slot + 1) * SUMS * this.numCoeffs);
    this.counts.fill(0, slot * COUNTS, (slot + 1) * COUNTS);
    this.block = block;
  }

  /** Adds rows of one block; with `atBlockStart`, the first row's difference is the block's crossing one. */
  private accumulate(frames: Float32Array, from: number, rows: number, voiced: Uint8Array, flagFrom: number, atBlockStart: boolean): void {
    const f = this.numCoeffs;
    const base = (this.block % this.blocks) * SUMS * f;
    const counts = (this.block % this.blocks) * COUNTS;
    const continues = this.prevVoiced;
    let after = continues;
    for (let r = 0; r < rows; r++) {
      if (voiced[flagFrom + r] === 1) {
        this.counts[counts]!++;
        if (after) this.counts[counts + (r === 0 && atBlockStart ? 2 : 1)]!++;
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
          if (r === 0 && atBlockStart) {
            this.sums[base + 4 * f + c]! += d;
            this.sums[base + 5 * f + c]! += d * d;
          } else {
            ds += d;
            dss += d * d;
          }
        }
        prev = v;
        prevOn = true;
      }
      this.sums[base + c]! += s;
      this.sums[base + f + c]! += ss;
      this.sums[base + 2 * f + c]! += ds;
      this.sums[base + 3 * f + c]! += dss;
      this.prev[c] = prev;
    }
  }

  /** Blocks in the window: the newest one's index and the oldest's. */
  private windowBlocks(): { oldest: number; newest: number } {
    return { oldest: Math.max(0, this.block - this.blocks + 1), newest: this.block };
  }

  private windowCounts(): { count: number; dCount: number } {
    let count = 0;
    let dCount = 0;
    const { oldest, newest } = this.windowBlocks();
    for (let b = oldest; b <= newest; b++) {
      const at = (b % this.blocks) * COUNTS;
      count += this.counts[at]!;
      dCount += this.counts[at + 1]! + (b > oldest ? this.counts[at + 2]! : 0);
    }
    return { count, dCount };
  }

  private rawFeatures(out: Float64Array): Float64Array {
    const f = this.numCoeffs;
    const t = this.totals;
    t.fill(0);
    const { oldest, newest } = this.windowBlocks();
    for (let b = oldest; b <= newest; b++) {
      const base = (b % this.blocks) * SUMS * f;
      for (let j = 0; j < 4 * f; j++) t[j]! += this.sums[base + j]!;
      if (b > oldest) {
        for (let c = 0; c < f; c++) {
          t[2 * f + c]! += this.sums[base + 4 * f + c]!;
          t[3 * f + c]! += this.sums[base + 5 * f + c]!;
        }
      }
    }
    const { count, dCount } = this.windowCounts();
    meanSd(t, 0, f, count, out, 0, f);
    meanSd(t, 2 * f, 3 * f, dCount, out, 2 * f, f);
    return out;
  }
}

function meanSd(t: Float64Array, sumAt: number, sumSqAt: number, count: number, out: Float64Array, at: number, f: number): void {
  const n = Math.max(count, 1);
  for (let c = 0; c < f; c++) {
    const mean = t[sumAt + c]! / n;
    out[at + c] = mean;
    out[at + f + c] = Math.sqrt(Math.max(t[sumSqAt + c]! / n - mean * mean, 0) + STATS_VAR_EPS);
  }
}
