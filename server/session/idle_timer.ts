/**
 * `idle_timeout`: a session that neither sends audio nor gets results for `timeoutMs` is
 * closed, so a client that sends `start` and then nothing (while answering pings) cannot
 * hold a slot for ever. One timer per session, re-armed lazily when it fires (no timer
 * churn per audio message); a paused socket is never idle (we are the ones not reading).
 */
export class IdleTimer {
  private lastActivityMs = performance.now();
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param timeoutMs idle time allowed, ms, > 0
   * @param isExempt true while the session must not be judged (its socket is paused)
   * @param onIdle called once when the limit passes
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly isExempt: () => boolean,
    private readonly onIdle: () => void,
  ) {
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs: expected > 0, got ${timeoutMs}`);
  }

  /** Something happened (audio in, result out). */
  touch(): void {
    this.lastActivityMs = performance.now();
  }

  start(): void {
    this.touch();
    this.arm(this.timeoutMs);
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.check(), Math.max(1, delayMs));
    this.timer.unref();
  }

  private check(): void {
    this.timer = null;
    const now = performance.now();
    if (this.isExempt()) this.lastActivityMs = now;
    const leftMs = this.lastActivityMs + this.timeoutMs - now;
    if (leftMs > 0) this.arm(leftMs);
    else this.onIdle();
  }
}
