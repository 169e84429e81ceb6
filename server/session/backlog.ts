/**
 * A session's backlog: audio received but not yet answered by a result, in stream time —
 * the quantity backpressure bounds. Pure bookkeeping; the session acts on its verdicts.
 *
 * Hysteresis: reading pauses above `limitMs` and resumes only once the backlog is back to
 * half of it, so a client sending just above the server's pace is not toggled every hop.
 */
export class Backlog {
  private receivedBytes = 0;
  private answeredMs = 0;

  /**
   * @param bytesPerSecond bytes of one second of the stream's audio (rate × channels × sample size), > 0
   * @param limitMs most unanswered audio allowed, ms of stream time, > 0
   */
  constructor(
    readonly bytesPerSecond: number,
    readonly limitMs: number,
  ) {
    if (!(bytesPerSecond > 0)) throw new RangeError(`bytesPerSecond: expected > 0, got ${bytesPerSecond}`);
    if (!(limitMs > 0)) throw new RangeError(`limitMs: expected > 0, got ${limitMs}`);
  }

  /** Stream time received so far, ms. */
  get receivedMs(): number {
    return (this.receivedBytes / this.bytesPerSecond) * 1000;
  }

  /** Unanswered audio, ms. */
  get ms(): number {
    return Math.max(0, this.receivedMs - this.answeredMs);
  }

  /** Unanswered audio, bytes of the stream's encoding. */
  get bytes(): number {
    return Math.round((this.ms / 1000) * this.bytesPerSecond);
  }

  /** Duration of `bytes` of this stream, ms. */
  durationMs(bytes: number): number {
    return (bytes / this.bytesPerSecond) * 1000;
  }

  /** Whether accepting `bytes` more would take the backlog past the limit (the reject policy). */
  wouldExceed(bytes: number): boolean {
    return this.ms + this.durationMs(bytes) > this.limitMs;
  }

  received(bytes: number): void {
    this.receivedBytes += bytes;
  }

  /** A result covering stream time up to `hopEndMs` was sent. */
  answered(hopEndMs: number): void {
    this.answeredMs = Math.max(this.answeredMs, hopEndMs);
  }

  /** 'pause' or 'resume' when the pause state should change, else null. */
  verdict(paused: boolean): 'pause' | 'resume' | null {
    if (!paused && this.ms > this.limitMs) return 'pause';
    if (paused && this.ms <= this.limitMs / 2) return 'resume';
    return null;
  }
}
