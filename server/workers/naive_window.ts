/**
 * The naive baseline's per-session memory: the last `windowFrames` MFCC frames and their
 * voiced flags, in a preallocated ring (no per-hop concatenation), read out contiguously
 * for one `predictOffline` call per hop.
 */
export class NaiveWindow {
  private readonly frames: Float32Array;
  private readonly voiced: Uint8Array;
  /** Next row to write. */
  private head = 0;
  /** Rows held, ≤ windowFrames. */
  private count = 0;
  /** Rows pushed since creation. */
  framesSeen = 0;

  constructor(
    private readonly numCoeffs: number,
    private readonly windowFrames: number,
  ) {
    if (!Number.isInteger(numCoeffs) || numCoeffs < 1) throw new RangeError(`numCoeffs: expected a positive integer, got ${numCoeffs}`);
    if (!Number.isInteger(windowFrames) || windowFrames < 1) {
      throw new RangeError(`windowFrames: expected a positive integer, got ${windowFrames}`);
    }
    this.frames = new Float32Array(numCoeffs * windowFrames);
    this.voiced = new Uint8Array(windowFrames);
  }

  /** Appends n rows (frames: n × numCoeffs), dropping the oldest beyond the window. */
  push(frames: Float32Array, voiced: Uint8Array): void {
    const n = voiced.length;
    if (frames.length !== n * this.numCoeffs) {
      throw new RangeError(`expected ${n * this.numCoeffs} frame values for ${n} flags, got ${frames.length}`);
    }
    // Only the last windowFrames rows can survive; skip the rest.
    const first = Math.max(0, n - this.windowFrames);
    for (let i = first; i < n; i += 1) {
      this.frames.set(frames.subarray(i * this.numCoeffs, (i + 1) * this.numCoeffs), this.head * this.numCoeffs);
      this.voiced[this.head] = voiced[i] ?? 0;
      this.head = (this.head + 1) % this.windowFrames;
    }
    this.count = Math.min(this.windowFrames, this.count + n);
    this.framesSeen += n;
  }

  /** The held rows, oldest first, as fresh contiguous arrays. */
  view(): { frames: Float32Array; voiced: Uint8Array } {
    const frames = new Float32Array(this.count * this.numCoeffs);
    const voiced = new Uint8Array(this.count);
    const start = (this.head - this.count + this.windowFrames) % this.windowFrames;
    for (let i = 0; i < this.count; i += 1) {
      const row = (start + i) % this.windowFrames;
      frames.set(this.frames.subarray(row * this.numCoeffs, (row + 1) * this.numCoeffs), i * this.numCoeffs);
      voiced[i] = this.voiced[row] ?? 0;
    }
    return { frames, voiced };
  }
}
