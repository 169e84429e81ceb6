/**
 * What a session holds while it streams, built at `start` and released once: the backlog
 * and its backpressure, the paced audio queue, the limits, the outputs (results, alerts,
 * summary), the watchers' view and the pipeline subscription. Session (session.ts) owns one
 * of these from `start` to its end; before `start` it has none, so nothing here is nullable.
 */
import { Subject, type Subscription } from 'rxjs';
import type { WebSocket } from 'ws';
import { BYTES_PER_SAMPLE } from '../../shared/dsp/pcm_decode.js';
import type { ProtocolError } from '../../shared/error_codes.js';
import type { NoticeMessage } from '../../shared/protocol.js';
import type { ChannelResult } from '../pipeline/channels.js';
import type { AudioChunk } from '../pipeline/index.js';
import type { WatchedSession } from '../watch/watched_session.js';
import { AudioQueue, SLICE_SECONDS } from './audio_queue.js';
import { Backlog } from './backlog.js';
import { Backpressure } from './backpressure.js';
import { SessionLimits } from './limits.js';
import { SessionOutputs } from './outputs.js';
import { PACE_BURST_SECONDS, Pacer } from './pacer.js';
import { streamRecovery } from './recovery.js';
import type { SessionContext } from './context.js';
import { sessionPipeline } from './session_pipeline.js';
import type { StreamFormat } from './start.js';
import type { Wire } from './wire.js';
import { servingModel } from '../workers/band.js';

/** What the streaming state tells its session. */
export interface StreamingHooks {
  onResult(result: ChannelResult): void;
  /** The pipeline failed (its error), or a limit ended the session (a ProtocolError). */
  onError(err: unknown): void;
  onComplete(): void;
  /** `max_duration`: the session ends normally, then with this error after its summary. */
  onMaxDuration(error: ProtocolError): void;
  /** A channel resumed on another inference worker after a crash. */
  onResumed(notice: NoticeMessage): void;
}

export class Streaming {
  readonly backlog: Backlog;
  readonly backpressure: Backpressure;
  readonly outputs: SessionOutputs;
  readonly limits: SessionLimits;
  readonly watched: WatchedSession;
  private readonly queue: AudioQueue;
  private readonly audio$ = new Subject<AudioChunk>();
  private subscription: Subscription | null = null;

  constructor(
    private readonly sessionId: string,
    readonly format: StreamFormat,
    ws: WebSocket,
    wire: Wire,
    private readonly ctx: SessionContext,
    private readonly hooks: StreamingHooks,
  ) {
    const { config, metrics, pool } = ctx;
    this.backlog = new Backlog(BYTES_PER_SAMPLE[format.encoding] * format.channels * format.sampleRateHz, config.maxBacklogSeconds * 1000);
    this.backpressure = new Backpressure(this.backlog, config.backlogPolicy, metrics, ws);
    this.outputs = new SessionOutputs(servingModel(pool.model, format.sampleRateHz), format, ctx.alertRules, metrics);
    const sliceBytes = Math.max(1, Math.round(this.backlog.bytesPerSecond * SLICE_SECONDS));
    this.queue = new AudioQueue(sliceBytes, (chunk) => this.audio$.next(chunk), () => this.audio$.complete(), {
      pacer: new Pacer(config.maxRealTimeMultiple, PACE_BURST_SECONDS, performance.now()),
      bytesPerSecond: this.backlog.bytesPerSecond,
      onPaced: (seconds) => metrics.audioPacedSeconds.inc(seconds),
    });
    this.limits = new SessionLimits(config, metrics, format.hopMs, {
      isPaused: () => this.backpressure.paused,
      unansweredMs: () => this.backlog.ms,
      onIdle: (error) => hooks.onError(error),
      onMaxDuration: (error) => hooks.onMaxDuration(error),
    });
    this.watched = ctx.watch.open(this.outputs.watchInit(sessionId, wire.source));
  }

  /** Subscribes the pipeline; separate from construction so the session holds this first. */
  run(): void {
    const recovery = streamRecovery(this.ctx.metrics, this.format.channelLabels, (notice) => this.hooks.onResumed(notice));
    this.subscription = this.audio$.pipe(sessionPipeline(this.ctx.pool, this.sessionId, this.format, recovery)).subscribe({
      next: (result) => this.hooks.onResult(result),
      error: (err: unknown) => this.hooks.onError(err),
      complete: () => this.hooks.onComplete(),
    });
  }

  /** Audio the session accepted: counted against the backlog and queued, paced, for the pipeline. */
  push(bytes: Uint8Array, channel: number | undefined): void {
    this.backlog.received(bytes.length);
    this.limits.audioReceived();
    this.queue.push(bytes, performance.now(), channel);
  }

  /** A result went out: its audio is answered. */
  answered(ms: number): void {
    this.backlog.answered(ms);
  }

  /** No more audio: the pipeline flushes, then completes. */
  end(): void {
    this.queue.end();
  }

  /** The rest of the received audio goes at full speed (a drain's grace period). */
  hurry(): void {
    this.queue.hurry();
  }

  /** Releases timers, the subscription and a paused socket (which would never read the close frame). */
  dispose(): void {
    this.limits.stop();
    this.subscription?.unsubscribe();
    this.subscription = null;
    this.queue.dispose();
    this.backpressure.release();
  }
}
