/**
 * One WebSocket stream: control messages, the phases and an idempotent end. Phases:
 * awaiting_start → streaming → ending → closed; from `start` on, the session holds a
 * Streaming (streaming.ts: backlog, backpressure, paced audio queue, limits, outputs, the
 * RxJS pipeline), released once at the end. What the
 * socket speaks is its Wire (wire.ts: the stream protocol, or Twilio's); every message
 * the session sends also goes to its watchers (server/watch/).
 *
 * Audio goes to the session's pipeline — in an inference worker (session_pipeline.ts) — in
 * slices of at most 0.25 s, one per macrotask (AudioQueue); `end` queues behind the audio
 * and can never overtake it, while errors are sent at once. Errors are sent once, then the
 * socket closes with the code's close code; nothing here can touch another session.
 *
 * Backpressure: the backlog is audio received but not yet answered by a result, in stream
 * time. Past `maxBacklogSeconds` the 'pause' policy stops reading the socket (TCP pushes
 * back on the sender; nothing is dropped) until the backlog halves; the 'reject' policy
 * answers `rate_limited`.
 *
 * Hostile and careless clients: audio is fed at most `maxRealTimeMultiple` × real time
 * (pacer.ts, live first); `slow_consumer`, `idle_timeout` and `max_duration` are watched by
 * limits.ts. A session cut short by the server with results to sum up (max_duration, a
 * crashed inference worker that no other worker could replace) gets its summary before the
 * error.
 *
 * A crashed inference worker does not end the session: each of its streams goes on on a
 * live worker (mono_stream.ts), announced by a `worker_restarted` notice.
 */
import { randomUUID } from 'node:crypto';
import type { RawData, WebSocket } from 'ws';
import { ProtocolError, type ErrorCode } from '../../shared/error_codes.js';
import type { ServerMessage } from '../../shared/protocol.js';
import type { Logger } from '../logger.js';
import type { SessionOutcome } from '../metrics.js';
import type { ChannelResult } from '../pipeline/channels.js';
import { WorkerFailedError } from '../workers/slot.js';
import type { SessionContext } from './context.js';
import type { Drainable } from './registry.js';
import type { StreamFormat } from './start.js';
import { Streaming } from './streaming.js';
import { streamWire, toBytes, type Wire, type WireAction } from './wire.js';

/** After `slow_consumer`, how long the peer gets to take the close frame before the socket is destroyed, ms. */
const SLOW_CONSUMER_CLOSE_GRACE_MS = 2_000;

type Phase = 'awaiting_start' | 'streaming' | 'ending' | 'closed';

export class Session implements Drainable {
  readonly id = randomUUID();
  private phase: Phase = 'awaiting_start';
  private readonly log: Logger;
  /** Everything the stream holds, from `start` on (streaming.ts). */
  private streaming: Streaming | null = null;
  private closeCodeOnDone = 1000;
  private startTimer: NodeJS.Timeout | null = null;
  /** Set when the server ends the session with an error after its summary (max_duration). */
  private endError: ProtocolError | null = null;
  private resultCount = 0;
  private resolveClosed: () => void = () => undefined;
  readonly closed: Promise<void>;

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: SessionContext,
    private readonly wire: Wire = streamWire({ hopMs: ctx.config.defaultHopMs, smoothing: ctx.config.defaultSmoothing }),
  ) {
    this.log = ctx.logger.child({ sessionId: this.id });
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    ctx.metrics.sessionsActive.inc();
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    // A platform hanging up after its audio (Twilio: `stop`, then close) has it finished for
    // the watchers; a stream client's close ends the session at once.
    ws.on('close', () => (!this.wire.repliesToPeer && this.phase !== 'awaiting_start' ? this.end(1000) : this.finish('client_closed')));
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        // Past the hard payload cap ws has already closed with 1009; count it as the error it is.
        ctx.metrics.countError('message_too_large');
        this.finish('error');
      } else {
        this.log.warn('socket error', { error: err.message });
      }
    });
    this.startTimer = setTimeout(() => {
      ctx.metrics.timeouts.inc({ kind: 'start' });
      this.fail(new ProtocolError('bad_message', `expected a start message within ${ctx.config.startTimeoutMs} ms, got none`));
    }, ctx.config.startTimeoutMs);
  }

  /** Results sent so far (the heartbeat's measure of progress for a paused socket). */
  get resultsSent(): number {
    return this.resultCount;
  }

  /** Whether reading is paused by backpressure now. */
  get isPaused(): boolean {
    return this.streaming?.backpressure.paused ?? false;
  }

  /** Backpressure pauses so far (the heartbeat's "paused since the ping"). */
  get pauseCount(): number {
    return this.streaming?.backpressure.pauses ?? 0;
  }

  /**
   * The heartbeat found the client not reading (no pong for `silentMs` while paused): ends
   * the session with `slow_consumer`, as too many unsent bytes would.
   */
  dropUnread(silentMs: number): void {
    if (this.phase === 'closed') return;
    const error = this.streaming?.limits.unreadError(silentMs) ?? new ProtocolError('slow_consumer', `expected the client to answer pings, got no pong for ${Math.round(silentMs / 1000)} s`);
    this.failSlowConsumer(error);
  }

  /** `slow_consumer`: the error goes out; a peer that never reads it is cut off after a grace. */
  private failSlowConsumer(error: ProtocolError): void {
    this.fail(error);
    const ws = this.ws;
    setTimeout(() => ws.terminate(), SLOW_CONSUMER_CLOSE_GRACE_MS).unref();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.phase === 'closed') return;
    const bytes = toBytes(data);
    const { maxMessageBytes } = this.ctx.config;
    try {
      if (bytes.length > maxMessageBytes) {
        throw new ProtocolError('message_too_large', `expected messages of at most ${maxMessageBytes} bytes, got ${bytes.length}`);
      }
      for (const action of this.wire.parse(bytes, isBinary)) this.act(action);
    } catch (err) {
      this.fail(err);
    }
  }

  private act(action: WireAction): void {
    if (this.phase === 'closed') return;
    if (action.kind === 'audio') {
      this.onAudio(action.bytes, action.channel);
    } else if (action.kind === 'start') {
      if (this.phase !== 'awaiting_start') throw new ProtocolError('bad_message', `expected one start per session, got another in phase ${this.phase}`);
      this.start(action.format);
    } else if (this.phase === 'streaming') {
      this.end(1000);
    } else if (this.phase === 'awaiting_start') {
      throw new ProtocolError('bad_message', 'expected start before end, got end');
    }
  }

  private start(format: StreamFormat): void {
    if (this.startTimer !== null) clearTimeout(this.startTimer);
    this.startTimer = null;
    const streaming = new Streaming(this.id, format, this.ws, this.wire, this.ctx, {
      onResult: (result) => this.onResult(result),
      onError: (err) => this.fail(err),
      onComplete: () => this.onComplete(),
      onMaxDuration: (error) => {
        this.endError = error;
        this.end(error.closeCode);
      },
      onResumed: (notice) => {
        this.log.warn('stream resumed on another inference worker', { channel: notice.channel, lostMs: notice.lostMs });
        this.send(notice);
      },
    });
    this.streaming = streaming;
    this.phase = 'streaming';
    streaming.run();
    this.send(streaming.outputs.ready(this.id));
    const { sampleRateHz, encoding, channels, channelMode, hopMs } = format;
    this.log.info('session started', { source: this.wire.source, sampleRateHz, encoding, channels, channelMode, hopMs });
  }

  private onAudio(bytes: Uint8Array, channel?: number): void {
    const { config, metrics } = this.ctx;
    if (this.phase === 'awaiting_start') throw new ProtocolError('bad_message', 'expected a start message before audio, got binary data');
    const streaming = this.streaming;
    if (this.phase !== 'streaming' || streaming === null) {
      // After `end` (or a drain began) the stream is closed to audio; count what is refused.
      metrics.audioDiscardedBytes.inc(bytes.length);
      return;
    }
    const backlog = streaming.backlog;
    const chunkMs = backlog.durationMs(bytes.length);
    if (config.backlogPolicy === 'reject' && backlog.wouldExceed(bytes.length)) {
      throw new ProtocolError(
        'rate_limited',
        `expected at most ${config.maxBacklogSeconds} s of unanswered audio, got ${((backlog.ms + chunkMs) / 1000).toFixed(1)} s`,
      );
    }
    streaming.push(bytes, channel);
    metrics.audioReceivedBytes.inc(bytes.length);
    metrics.audioReceivedSeconds.inc(chunkMs / 1000);
    streaming.backpressure.update(true);
  }

  private onResult(result: ChannelResult): void {
    const { metrics } = this.ctx;
    const streaming = this.streaming;
    if (streaming === null) return;
    const slow = streaming.limits.checkUnsent(this.ws.bufferedAmount);
    if (slow !== null) {
      this.failSlowConsumer(slow);
      return;
    }
    this.resultCount += 1;
    for (const message of streaming.outputs.messagesFor(result)) this.send(message);
    metrics.resultsSent.inc();
    metrics.resultLatency.observe(Math.max(0, performance.now() - result.arrivedAtMs) / 1000);
    streaming.answered(result.answeredMs);
    streaming.backpressure.update(this.phase === 'streaming');
  }

  private onComplete(): void {
    if (this.phase === 'closed' || this.streaming === null) return;
    this.send(this.streaming.outputs.summary());
    if (this.endError !== null) {
      this.sendError(this.endError.code, this.endError.message);
      this.finish('error');
      this.ws.close(this.endError.closeCode, this.endError.code);
      return;
    }
    const code = this.closeCodeOnDone;
    this.finish(code === 1000 ? 'completed' : 'shutdown');
    this.ws.close(code, code === 1000 ? 'done' : 'server shutting down');
  }

  /** Completes the audio: the pipeline flushes, the final result and the summary follow. */
  private end(closeCode: number): void {
    if (this.phase !== 'streaming') return;
    this.phase = 'ending';
    this.closeCodeOnDone = closeCode;
    this.streaming?.end();
  }

  drain(): Promise<void> {
    if (this.phase === 'awaiting_start') this.fail(new ProtocolError('shutting_down', 'the server is shutting down'));
    else if (this.phase === 'streaming') this.end(1001);
    // Within the grace period the received audio goes at full speed.
    this.streaming?.hurry();
    // A session already ending (its client sent `end`) finishes as asked, with 1000.
    return this.closed;
  }

  abort(): void {
    this.fail(new ProtocolError('shutting_down', 'the server is shutting down and the grace period is over'));
  }

  /** Sends the error once, closes with its close code. Non-protocol errors become `internal`. */
  fail(err: unknown): void {
    if (this.phase === 'closed') return;
    const error =
      err instanceof ProtocolError ? err : new ProtocolError('internal', 'internal error; the session was closed');
    if (!(err instanceof ProtocolError)) {
      this.log.error('session failed', { error: err instanceof Error ? err.message : String(err) });
    }
    // The worker that held this stream crashed and none could take it over: the stream's
    // final result is out (pipeline/resume.ts), and what was answered still makes a summary.
    if (err instanceof WorkerFailedError && this.streaming !== null) this.send(this.streaming.outputs.summary());
    this.sendError(error.code, error.message);
    this.finish(error.code === 'shutting_down' ? 'shutdown' : 'error');
    this.ws.close(error.closeCode, error.code);
  }

  private sendError(code: ErrorCode, message: string): void {
    this.ctx.metrics.countError(code);
    this.log.info('session error', { code });
    this.send({ type: 'error', code, message, retryable: new ProtocolError(code, message).retryable });
  }

  /** To the peer (when its wire wants replies) and to the session's watchers. */
  private send(message: ServerMessage): void {
    const text = JSON.stringify(message);
    if (this.wire.repliesToPeer && this.ws.readyState === this.ws.OPEN) this.ws.send(text);
    this.streaming?.watched.publish(message, text);
  }

  /** Releases everything exactly once, whatever ended the session. */
  private finish(outcome: SessionOutcome): void {
    if (this.phase === 'closed') return;
    const wasEnding = this.phase === 'ending';
    this.phase = 'closed';
    if (this.startTimer !== null) clearTimeout(this.startTimer);
    this.streaming?.dispose();
    const { metrics, registry } = this.ctx;
    metrics.sessionsActive.dec();
    metrics.sessionsTotal.inc({ outcome });
    registry.remove(this);
    this.ctx.watch.close(this.id, outcome);
    this.log.info('session closed', {
      outcome,
      wasEnding,
      audioSeconds: this.streaming === null ? 0 : Math.round(this.streaming.backlog.receivedMs) / 1000,
    });
    this.resolveClosed();
  }
}
