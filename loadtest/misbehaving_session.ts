/**
 * The soak's careless clients. Both connect and send `start`; once `ready` arrives:
 * - `idle` goes silent (it still reads, so it answers pings): the server owes it `idle_timeout`;
 * - `slow_reader` stops reading its socket and sends audio flat out at the smallest hop, so
 *   results pile up unread: the server owes it `slow_consumer`. It cannot read that error
 *   (it sits behind the unread results), so it sees the connection cut; the server's
 *   ser_timeouts_total{kind="slow_consumer"} says why (soak/verdict.ts).
 * Neither ends the session itself: it waits for the server to drop it, at most
 * `dropTimeoutMs` after `ready`, then gives up (the outcome says `dropped: false`).
 */
import WebSocket from 'ws';
import { MIN_HOP_MS, type StartMessage } from '../shared/protocol.js';
import { parseServerMessage, refusedUpgradeCode } from './client_wire.js';
import type { StreamPlan } from './plan.js';
import type { SessionContext } from './session.js';
import type { StreamOutcome } from './types.js';

/** Audio a slow reader keeps queued in its own send buffer, bytes: enough to stay ahead of the server. */
const SLOW_READER_QUEUE_BYTES = 1 << 20;
/** How often a slow reader tops its queue up, ms. */
const SLOW_READER_POLL_MS = 20;

type Phase = 'waiting' | 'connecting' | 'started' | 'done';

export class MisbehavingSession {
  private phase: Phase = 'waiting';
  private ws: WebSocket | null = null;
  private connectStartedMs = 0;
  private readyAtMs = Number.NaN;
  private lastPumpMs = 0;
  private sentSamples = 0;
  private errorCode: string | null = null;
  private outcome: StreamOutcome | null = null;

  constructor(
    private readonly plan: StreamPlan & { behavior: 'idle' | 'slow_reader' },
    private readonly ctx: SessionContext,
    private readonly runStartMs: number,
    private readonly dropTimeoutMs: number,
  ) {}

  get done(): boolean {
    return this.phase === 'done';
  }

  get open(): boolean {
    return this.phase === 'started';
  }

  get result(): StreamOutcome | null {
    return this.outcome;
  }

  /** Connect at the planned start; give up connecting after endTimeoutMs; once started, the give-up time (and a slow reader's next top-up). */
  nextDueMs(): number {
    if (this.phase === 'done') return Number.POSITIVE_INFINITY;
    if (this.phase !== 'started') {
      return this.phase === 'waiting' ? this.runStartMs + this.plan.startOffsetMs : this.connectStartedMs + this.ctx.endTimeoutMs;
    }
    const giveUpMs = this.readyAtMs + this.dropTimeoutMs;
    return this.plan.behavior === 'slow_reader' ? Math.min(giveUpMs, this.lastPumpMs + SLOW_READER_POLL_MS) : giveUpMs;
  }

  pump(nowMs: number): void {
    this.lastPumpMs = nowMs;
    if (this.phase === 'waiting' && nowMs >= this.runStartMs + this.plan.startOffsetMs) this.connect(nowMs);
    else if (this.phase === 'connecting' && nowMs >= this.connectStartedMs + this.ctx.endTimeoutMs) this.giveUp('connect_timeout');
    else if (this.phase === 'started' && nowMs >= this.readyAtMs + this.dropTimeoutMs) this.giveUp(null);
    else if (this.phase === 'started' && this.plan.behavior === 'slow_reader') this.sendFlatOut();
  }

  private connect(nowMs: number): void {
    this.phase = 'connecting';
    this.connectStartedMs = nowMs;
    const ws = new WebSocket(this.ctx.streamUrl, { perMessageDeflate: false });
    this.ws = ws;
    ws.on('open', () => {
      const hopMs = this.plan.behavior === 'slow_reader' ? MIN_HOP_MS : this.ctx.hopMs;
      const start: StartMessage = { type: 'start', sampleRate: this.ctx.sampleRateHz, encoding: 'pcm_s16le', channels: 1, hopMs };
      ws.send(JSON.stringify(start));
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('error', (err: Error) => {
      const refused = refusedUpgradeCode(err);
      if (refused !== null || this.phase === 'connecting') this.fail(refused ?? 'connect_failed');
    });
    ws.on('close', (code: number) => this.finish(code, this.phase === 'started'));
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    const msg = parseServerMessage(data, isBinary);
    if (msg === null) this.fail('bad_server_message');
    else if (msg.type === 'error') this.fail(msg.code);
    else if (msg.type === 'ready' && this.phase === 'connecting') {
      this.phase = 'started';
      this.readyAtMs = performance.now();
      // Stop reading: every later result, ping and the close frame wait in the socket buffers.
      if (this.plan.behavior === 'slow_reader') this.ws?.pause();
      this.ctx.wake(this.nextDueMs());
    }
  }

  /** Tops the client's own send queue up from the looped audio, one planned chunk at a time. */
  private sendFlatOut(): void {
    const ws = this.ws;
    if (ws === null || ws.readyState !== WebSocket.OPEN) return;
    while (ws.bufferedAmount < SLOW_READER_QUEUE_BYTES && this.sentSamples < this.plan.totalSamples) {
      const n = Math.min(this.plan.chunkSamples, this.plan.totalSamples - this.sentSamples);
      const pos = (this.plan.audioOffsetSamples + this.sentSamples) % this.ctx.loopSamples;
      ws.send(this.ctx.pcm.subarray(pos * 2, (pos + n) * 2), { binary: true });
      this.sentSamples += n;
    }
  }

  private fail(code: string): void {
    if (this.errorCode === null) this.errorCode = code;
  }

  private giveUp(code: string | null): void {
    if (code !== null) this.fail(code);
    this.finish(null, false);
    this.ws?.terminate();
  }

  private finish(closeCode: number | null, dropped: boolean): void {
    if (this.phase === 'done') return;
    const started = this.phase === 'started';
    this.phase = 'done';
    const audioSentSeconds = this.sentSamples / this.ctx.sampleRateHz;
    this.outcome = {
      streamId: this.plan.streamId,
      started,
      errorCode: this.errorCode,
      results: 0,
      missingResults: 0,
      finalSeen: false,
      summarySeen: false,
      unmatchedResults: 0,
      outOfOrder: 0,
      audioSentSeconds,
      audioCoveredSeconds: 0,
      endToSummaryMs: Number.NaN,
      maxLatencyMs: 0,
      maxStalenessMs: 0,
      behavior: this.plan.behavior,
      ...(closeCode !== null ? { closeCode } : {}),
      dropped,
    };
  }
}
