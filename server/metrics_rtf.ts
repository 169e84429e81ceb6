/**
 * Real-time factor over a sliding window: processing seconds over audio seconds of the last
 * `windowSeconds` whole seconds, kept as one (audio, processing) bucket per second. Pure
 * apart from the clock, which is passed in.
 */
export class RealTimeFactorWindow {
  private readonly audio: Float64Array;
  private readonly work: Float64Array;
  private second: number;

  constructor(
    readonly windowSeconds: number,
    nowMs: number,
  ) {
    this.audio = new Float64Array(windowSeconds);
    this.work = new Float64Array(windowSeconds);
    this.second = Math.floor(nowMs / 1000);
  }

  record(audioSeconds: number, processingSeconds: number, nowMs: number): void {
    this.advance(nowMs);
    const slot = this.second % this.windowSeconds;
    this.audio[slot] = (this.audio[slot] ?? 0) + audioSeconds;
    this.work[slot] = (this.work[slot] ?? 0) + processingSeconds;
  }

  /** Processing over audio in the window; 0 with no audio. */
  value(nowMs: number): number {
    this.advance(nowMs);
    const audio = this.audio.reduce((a, b) => a + b, 0);
    const work = this.work.reduce((a, b) => a + b, 0);
    return audio > 0 ? work / audio : 0;
  }

  /** Clears the buckets of the seconds that passed since the last call. */
  private advance(nowMs: number): void {
    const now = Math.floor(nowMs / 1000);
    if (now - this.second >= this.windowSeconds) {
      this.audio.fill(0);
      this.work.fill(0);
    } else {
      for (let s = this.second + 1; s <= now; s += 1) {
        this.audio[s % this.windowSeconds] = 0;
        this.work[s % this.windowSeconds] = 0;
      }
    }
    this.second = Math.max(this.second, now);
  }
}
