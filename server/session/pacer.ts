/**
 * Live first: a token bucket in stream time that lets one session (or analysis) be
 * processed at most `multiple` stream seconds per wall-clock second, after a burst of
 * `burstSeconds`. A real-time stream (multiple ≥ 1) never waits; a file sent flat out is
 * paced, so it cannot take the CPU that live calls beside it need.
 *
 * Pure bookkeeping on a clock passed in (ms, monotonic): the caller asks how long to wait
 * before feeding `seconds` of audio, then reports the feed. Pacing changes when audio is
 * processed, never what is computed: the results are the same as unpaced.
 */

/** Stream seconds a session may be fed at once before pacing applies. */
export const PACE_BURST_SECONDS = 1;

export class Pacer {
  /** Stream seconds that may be fed now without waiting; may go negative by one slice. */
  private credit: number;
  private lastMs: number;
  private unlimited = false;

  /**
   * @param multiple stream seconds per wall second, ≥ 1 (Infinity: never pace)
   * @param burstSeconds credit cap, stream seconds, > 0
   * @param nowMs the clock's current reading, ms
   */
  constructor(
    readonly multiple: number,
    readonly burstSeconds: number,
    nowMs: number,
  ) {
    if (!(multiple >= 1)) throw new RangeError(`multiple: expected ≥ 1, got ${multiple}`);
    if (!(burstSeconds > 0)) throw new RangeError(`burstSeconds: expected > 0, got ${burstSeconds}`);
    this.credit = burstSeconds;
    this.lastMs = nowMs;
  }

  private refill(nowMs: number): void {
    const elapsedS = Math.max(0, nowMs - this.lastMs) / 1000;
    this.lastMs = nowMs;
    this.credit = Math.min(this.burstSeconds, this.credit + elapsedS * this.multiple);
  }

  /**
   * Ms to wait before feeding audio, 0 when it may go now. Audio may be fed while any
   * credit is left (a slice may overdraw it), so a slice larger than the burst still moves.
   */
  waitMs(nowMs: number): number {
    if (this.unlimited) return 0;
    this.refill(nowMs);
    if (this.credit > 0) return 0;
    // Time until the credit is back above zero (a hair more, so the timer lands past it).
    return (-this.credit / this.multiple) * 1000 + 0.5;
  }

  /** `seconds` of stream time were fed at `nowMs`. */
  fed(seconds: number, nowMs: number): void {
    if (this.unlimited) return;
    this.refill(nowMs);
    this.credit -= seconds;
  }

  /** Stops pacing for good (a drain: finish what was received within the grace period). */
  lift(): void {
    this.unlimited = true;
  }
}
