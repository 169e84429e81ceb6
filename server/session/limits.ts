/**
 * The limits one started session lives under, apart from its data path: `idle_timeout`
 * (nothing in or out for `idleTimeoutMs`), `max_duration` (open longer than
 * `maxSessionSeconds`) and `slow_consumer` (its client does not read: more than
 * `maxUnsentBytes` wait in the send buffer when a result is due, or the heartbeat found no
 * pong for several beats while reading was paused, liveness.ts). Each is counted in
 * ser_timeouts_total; the session decides how to end (session.ts).
 */
import { ProtocolError } from '../../shared/error_codes.js';
import type { ServerConfig } from '../config.js';
import type { ServerMetrics } from '../metrics.js';
import { IdleTimer } from './idle_timer.js';

/** Audio beyond one hop that a session may hold unanswered without a result being owed, ms. */
const OWED_MARGIN_MS = 500;

export interface LimitHooks {
  /** Whether reading is paused by backpressure (never idle then: we are not reading). */
  isPaused(): boolean;
  /** Received audio not yet answered by a result, ms of stream time. */
  unansweredMs(): number;
  /** `idle_timeout`: the session should fail at once. */
  onIdle(error: ProtocolError): void;
  /** `max_duration`: the session should finish its audio (final + summary), then send `error`. */
  onMaxDuration(error: ProtocolError): void;
}

export class SessionLimits {
  private readonly idle: IdleTimer;
  private durationTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: ServerConfig,
    private readonly metrics: ServerMetrics,
    hopMs: number,
    hooks: LimitHooks,
  ) {
    // What is left after the last result is less than a hop plus a model step and the
    // resampler's look-ahead, answered only at `end`: only more than that is a result owed.
    const owedMs = hopMs + OWED_MARGIN_MS;
    this.idle = new IdleTimer(config.idleTimeoutMs, () => hooks.isPaused() || hooks.unansweredMs() > owedMs, () => {
      metrics.timeouts.inc({ kind: 'idle' });
      hooks.onIdle(new ProtocolError('idle_timeout', `expected audio within ${config.idleTimeoutMs} ms, got none`));
    });
    this.idle.start();
    this.durationTimer = setTimeout(() => {
      this.durationTimer = null;
      metrics.timeouts.inc({ kind: 'max_duration' });
      hooks.onMaxDuration(new ProtocolError('max_duration', `expected a session of at most ${config.maxSessionSeconds} s; reconnect to go on`));
    }, config.maxSessionSeconds * 1000);
    this.durationTimer.unref();
  }

  /** Audio arrived. */
  audioReceived(): void {
    this.idle.touch();
  }

  /**
   * Before a result is sent, with the socket's unsent bytes: null when it may go, else the
   * `slow_consumer` error. Checked on what already waits, so one large message never trips it.
   */
  checkUnsent(bufferedBytes: number): ProtocolError | null {
    if (bufferedBytes <= this.config.maxUnsentBytes) {
      this.idle.touch();
      return null;
    }
    this.metrics.timeouts.inc({ kind: 'slow_consumer' });
    return new ProtocolError('slow_consumer', `expected the client to read its results, got ${bufferedBytes} bytes unsent (limit ${this.config.maxUnsentBytes})`);
  }

  /**
   * The heartbeat found the client not reading: paused by backpressure, it has not answered
   * a ping for `silentMs` (liveness.ts). Counted like the unsent-bytes case.
   */
  unreadError(silentMs: number): ProtocolError {
    this.metrics.timeouts.inc({ kind: 'slow_consumer' });
    return new ProtocolError('slow_consumer', `expected the client to read its results and answer pings, got no pong for ${Math.round(silentMs / 1000)} s`);
  }

  stop(): void {
    this.idle.stop();
    if (this.durationTimer !== null) clearTimeout(this.durationTimer);
    this.durationTimer = null;
  }
}
