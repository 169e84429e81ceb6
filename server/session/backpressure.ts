/**
 * Acts on a session's backlog verdicts (backlog.ts): under the 'pause' policy, stops reading
 * the socket past `maxBacklogSeconds` and resumes once the backlog has halved, keeping the
 * backlog gauge and the pause counters in step. One per started session.
 */
import type { BacklogPolicy } from '../config.js';
import type { ServerMetrics } from '../metrics.js';
import type { Backlog } from './backlog.js';

/** The socket's flow control, as ws exposes it. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

export class Backpressure {
  private reportedBytes = 0;
  private pausedNow = false;
  private pauseCount = 0;

  constructor(
    private readonly backlog: Backlog,
    private readonly policy: BacklogPolicy,
    private readonly metrics: ServerMetrics,
    private readonly socket: Pausable,
  ) {}

  /** Whether reading is paused now. */
  get paused(): boolean {
    return this.pausedNow;
  }

  /** Pauses so far (the heartbeat tells "paused at some moment since the ping" by it). */
  get pauses(): number {
    return this.pauseCount;
  }

  /** After the backlog changed: the gauge follows; pauses or resumes while `streaming`. */
  update(streaming: boolean): void {
    const bytes = this.backlog.bytes;
    this.metrics.backlogBytes.inc(bytes - this.reportedBytes);
    this.reportedBytes = bytes;
    if (this.policy !== 'pause' || !streaming) return;
    const verdict = this.backlog.verdict(this.pausedNow);
    if (verdict === 'pause') {
      this.pausedNow = true;
      this.pauseCount += 1;
      this.socket.pause();
      this.metrics.backlogPauses.inc();
      this.metrics.sessionsPaused.inc();
    } else if (verdict === 'resume') {
      this.resume();
    }
  }

  resume(): void {
    if (!this.pausedNow) return;
    this.pausedNow = false;
    this.socket.resume();
    this.metrics.sessionsPaused.dec();
  }

  /** The session is over: reading resumes (to see the peer's close) and the gauge lets go. */
  release(): void {
    this.resume();
    this.metrics.backlogBytes.dec(this.reportedBytes);
    this.reportedBytes = 0;
  }
}
