/**
 * How far an analysis has fed its pipeline beyond what the results answered: the bound
 * that makes reading its body wait for the analysis, not only for its pace. The pacer alone
 * would let an analysis whose worker falls behind (a busy pool, or a server that does not
 * pace, maxRealTimeMultiple 10000) feed, and so read, the whole body at the pace's rate
 * while the audio queues up for the worker; with this bound the body is read only as
 * fast as results come back.
 *
 * Per stream (each channel with channelMode 'separate'; one with 'mix'): fed stream time
 * less the latest hop end answered. A hop is answered once its own audio (and the
 * resampler's few samples of look-ahead) has been fed, so the bound is one hop plus a
 * margin: feeding stops while any stream is more than `limitMs` ahead and goes on as
 * results (or a stream resumed after a worker crash, whose lost audio no result will
 * answer) bring it back. Pure bookkeeping, plus one waiter for the feed.
 */

/** Stream time an analysis may run ahead of its answers beyond one hop, ms: 4 slices of 0.25 s. */
export const AHEAD_MARGIN_MS = 1000;

export class FeedAhead {
  private readonly fedMs: Float64Array;
  private readonly answeredMs: Float64Array;
  private waiter: (() => void) | null = null;

  /**
   * @param streams streams fed, ≥ 1 (the channels with 'separate', else 1)
   * @param limitMs most stream time any stream may be ahead of its answers, ms, > 0
   */
  constructor(
    streams: number,
    readonly limitMs: number,
  ) {
    if (!(Number.isInteger(streams) && streams >= 1)) throw new RangeError(`streams: expected a positive integer, got ${streams}`);
    if (!(limitMs > 0)) throw new RangeError(`limitMs: expected > 0, got ${limitMs}`);
    this.fedMs = new Float64Array(streams);
    this.answeredMs = new Float64Array(streams);
  }

  /** Stream time the stream furthest ahead of its answers is ahead, ms. */
  get aheadMs(): number {
    let ahead = 0;
    this.fedMs.forEach((fed, s) => (ahead = Math.max(ahead, fed - (this.answeredMs[s] ?? 0))));
    return ahead;
  }

  get open(): boolean {
    return this.aheadMs <= this.limitMs;
  }

  /** `ms` of stream time went to `stream` (undefined: to every stream, as interleaved audio does). */
  fed(stream: number | undefined, ms: number): void {
    this.each(stream, (s) => (this.fedMs[s] = (this.fedMs[s] ?? 0) + ms));
  }

  /** A result of `stream` (undefined: the one stream of 'mix') answered up to `hopEndMs`; a final one answers all. */
  answered(stream: number | undefined, hopEndMs: number, final: boolean): void {
    this.each(stream, (s) => (this.answeredMs[s] = final ? Number.POSITIVE_INFINITY : Math.max(this.answeredMs[s] ?? 0, hopEndMs)));
    this.wake();
  }

  /** `stream` goes on after a worker crash from `resumedAtMs`: the audio before it will not be answered. */
  resumed(stream: number | undefined, resumedAtMs: number): void {
    this.answered(stream, resumedAtMs, false);
  }

  /** Resolves once no stream is more than the limit ahead (at once when none is). */
  whenOpen(): Promise<void> {
    if (this.open) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Lets a waiting feed go (it checks whether it was stopped). */
  release(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  private wake(): void {
    if (this.waiter !== null && this.open) this.release();
  }

  private each(stream: number | undefined, apply: (s: number) => void): void {
    if (stream === undefined) for (let s = 0; s < this.fedMs.length; s += 1) apply(s);
    else if (stream >= 0 && stream < this.fedMs.length) apply(stream);
  }
}
