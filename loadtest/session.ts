/**
 * One generator stream over protocol v1: connect, `start`, stream the looped audio at
 * real-time pace (driven by the worker's scheduler, never by its own timer), `end`, wait for
 * the final result and the summary. Every result's latency is traced back through the
 * chunk ledger to the send time of the chunk that held its last contributing sample.
 */
import WebSocket from 'ws';
import type { EmotionMessage, StartMessage } from '../shared/protocol.js';
import { parseServerMessage, refusedUpgradeCode } from './client_wire.js';
import { ChunkLedger, lastSampleIndex } from './ledger.js';
import { CoverageTracker } from './coverage.js';
import { chunkDueMs, type StreamPlan } from './plan.js';
import type { FixedHistogram } from './stats.js';
import type { StreamOutcome } from './types.js';

const zeroMask = (mask: Uint8Array): void => {
  mask.fill(0);
};

type State = 'waiting' | 'connecting' | 'streaming' | 'ending' | 'done';

/** A looped audio as its streams send it: one Buffer view over the shared memory. */
export interface AudioFeed {
  bytes: Buffer;
  loopSamples: number;
  sampleRateHz: number;
  encoding: 'pcm_s16le' | 'mulaw';
}

/** What a session shares with the other sessions of its worker. */
export interface SessionContext {
  streamUrl: string;
  /** The loop's bytes (16 kHz pcm_s16le) as one Buffer view over the shared memory. */
  pcm: Buffer;
  loopSamples: number;
  sampleRateHz: number;
  /** The call loop that plans marked `call` send, or null when there is none. */
  calls: AudioFeed | null;
  hopMs: number;
  endTimeoutMs: number;
  coverageToleranceMs: number;
  /** Generator lateness, ms, of every chunk of every stream of the worker. */
  lateness: FixedHistogram;
  /** Called when this session's next due time moved earlier (e.g. `ready` arrived). */
  wake: (dueMs: number) => void;
  /**
   * Called with each result's latency, ms, and its latency from the send of the chunk that
   * completed its hop (NaN if not traceable): the server's own turnaround, without the wait
   * for audio the result did not use (see coverage.ts on staleness); `call` says whether
   * the stream is a telephone call, so a mixed load reports each kind apart.
   */
  onLatency: (latencyMs: number, fromHopEndMs: number, call: boolean) => void;
}

export class StreamSession {
  private state: State = 'waiting';
  private ws: WebSocket | null = null;
  private readonly ledger = new ChunkLedger();
  private coverage: CoverageTracker | null = null;
  private streamStartMs = 0;
  private connectStartedMs = 0;
  private sentSamples = 0;
  private endSentAtMs = Number.NaN;
  private endToSummaryMs = Number.NaN;
  private errorCode: string | null = null;
  private unmatched = 0;
  private maxLatencyMs = 0;
  private outcome: StreamOutcome | null = null;
  /** What this stream sends: the main loop, or the call loop for a call. */
  private readonly feed: AudioFeed;
  private readonly bytesPerSample: number;

  constructor(
    private readonly plan: StreamPlan,
    private readonly ctx: SessionContext,
    /** performance.now() at which the run started; the plan's offsets count from it. */
    private readonly runStartMs: number,
  ) {
    if (plan.call === true && ctx.calls === null) throw new TypeError(`stream ${plan.streamId} is a call, but the worker has no call loop`);
    this.feed =
      plan.call === true && ctx.calls !== null
        ? ctx.calls
        : { bytes: ctx.pcm, loopSamples: ctx.loopSamples, sampleRateHz: ctx.sampleRateHz, encoding: 'pcm_s16le' };
    this.bytesPerSample = this.feed.encoding === 'mulaw' ? 1 : 2;
  }

  get done(): boolean {
    return this.state === 'done';
  }

  get open(): boolean {
    return this.state === 'streaming' || this.state === 'ending';
  }

  get result(): StreamOutcome | null {
    return this.outcome;
  }

  /** When the scheduler should next call `pump`, performance.now() ms (Infinity = on an event). */
  nextDueMs(): number {
    switch (this.state) {
      case 'waiting':
        return this.runStartMs + this.plan.startOffsetMs;
      case 'connecting':
        return this.connectStartedMs + this.ctx.endTimeoutMs;
      case 'streaming':
        return chunkDueMs(this.streamStartMs, this.nextChunkEnd(), this.feed.sampleRateHz);
      case 'ending':
        return this.endSentAtMs + this.ctx.endTimeoutMs;
      default:
        return Number.POSITIVE_INFINITY;
    }
  }

  /** Does whatever is due at `nowMs`: connect, send due chunks (then `end`), or time out. */
  pump(nowMs: number): void {
    if (this.state === 'waiting' && nowMs >= this.runStartMs + this.plan.startOffsetMs) this.connect(nowMs);
    else if (this.state === 'connecting' && nowMs >= this.connectStartedMs + this.ctx.endTimeoutMs) {
      this.fail('connect_timeout');
      this.ws?.terminate();
      this.finish();
    } else if (this.state === 'streaming') this.sendDueChunks(nowMs);
    else if (this.state === 'ending' && nowMs >= this.endSentAtMs + this.ctx.endTimeoutMs) {
      this.fail('end_timeout');
      this.ws?.terminate();
      this.finish();
    }
  }

  private nextChunkEnd(): number {
    return Math.min(this.sentSamples + this.plan.chunkSamples, this.plan.totalSamples);
  }

  private connect(nowMs: number): void {
    this.state = 'connecting';
    this.connectStartedMs = nowMs;
    // An all-zero mask lets ws skip XOR-masking every payload (RFC 6455 allows any key; its
    // unpredictability guards proxies against browser attacks, moot for a local generator).
    // Profiled: masking was ~20 % of the generator's CPU at 1,000 streams.
    const ws = new WebSocket(this.ctx.streamUrl, { perMessageDeflate: false, generateMask: zeroMask });
    this.ws = ws;
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => {
      const start: StartMessage = {
        type: 'start',
        sampleRate: this.feed.sampleRateHz,
        encoding: this.feed.encoding,
        channels: 1,
        hopMs: this.ctx.hopMs,
      };
      ws.send(JSON.stringify(start));
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(performance.now(), data, isBinary));
    ws.on('error', (err: Error) => this.fail(refusedUpgradeCode(err) ?? (this.state === 'connecting' ? 'connect_failed' : 'unexpected_close')));
    ws.on('close', () => {
      if (this.state !== 'done') {
        this.fail('unexpected_close');
        this.finish();
      }
    });
  }

  private sendDueChunks(nowMs: number): void {
    const ws = this.ws;
    if (ws === null || ws.readyState !== WebSocket.OPEN) return;
    const { bytes, loopSamples, sampleRateHz: rate } = this.feed;
    const width = this.bytesPerSample;
    while (this.sentSamples < this.plan.totalSamples) {
      const end = this.nextChunkEnd();
      const dueMs = chunkDueMs(this.streamStartMs, end, rate);
      if (dueMs > nowMs) return;
      const n = end - this.sentSamples;
      const pos = (this.plan.audioOffsetSamples + this.sentSamples) % loopSamples;
      const sentAtMs = performance.now();
      ws.send(bytes.subarray(pos * width, (pos + n) * width), { binary: true });
      this.ctx.lateness.add(sentAtMs - dueMs);
      this.ledger.record(sentAtMs, n);
      this.sentSamples = end;
    }
    ws.send(JSON.stringify({ type: 'end' }));
    this.endSentAtMs = performance.now();
    this.state = 'ending';
  }

  private onMessage(arrivalMs: number, data: Buffer, isBinary: boolean): void {
    const msg = parseServerMessage(data, isBinary);
    if (msg === null) {
      this.fail('bad_server_message');
      return;
    }
    switch (msg.type) {
      case 'ready':
        if (this.state !== 'connecting') return;
        this.coverage = new CoverageTracker({ hopMs: msg.hopMs, toleranceMs: this.ctx.coverageToleranceMs });
        this.streamStartMs = arrivalMs;
        this.state = 'streaming';
        this.ctx.wake(this.nextDueMs());
        return;
      case 'emotion':
        this.onEmotion(arrivalMs, msg);
        return;
      case 'summary':
        this.coverage?.onSummary();
        this.endToSummaryMs = arrivalMs - this.endSentAtMs;
        if (this.state === 'ending') this.finish();
        return;
      case 'error':
        this.fail(msg.code);
        return;
      default:
        this.fail('bad_server_message');
    }
  }

  private onEmotion(arrivalMs: number, msg: EmotionMessage): void {
    if (this.coverage === null) {
      this.fail('bad_server_message');
      return;
    }
    this.coverage.onResult(msg.seq, msg.startMs, msg.endMs, msg.final === true);
    const rate = this.feed.sampleRateHz;
    const hopEndMs = Math.min(msg.startMs + this.coverage.hopMs, (this.ledger.totalSamples * 1000) / rate);
    // Peek first: the endMs lookup below drops older chunks, the hop end never precedes them.
    const hopEndSentAtMs = this.ledger.sentTimeOfSample(lastSampleIndex(Math.max(msg.endMs, hopEndMs), rate), true);
    const sentAtMs = this.ledger.sentTimeOfSample(lastSampleIndex(msg.endMs, rate));
    if (sentAtMs === undefined) {
      this.unmatched++;
      return;
    }
    const latencyMs = arrivalMs - sentAtMs;
    if (latencyMs > this.maxLatencyMs) this.maxLatencyMs = latencyMs;
    this.ctx.onLatency(latencyMs, hopEndSentAtMs === undefined ? Number.NaN : arrivalMs - hopEndSentAtMs, this.plan.call === true);
  }

  private fail(code: string): void {
    if (this.errorCode === null) this.errorCode = code;
  }

  private finish(): void {
    if (this.state === 'done') return;
    const ended = !Number.isNaN(this.endSentAtMs);
    const started = this.coverage !== null;
    const audioMs = (this.sentSamples * 1000) / this.feed.sampleRateHz;
    const report = this.coverage?.report(audioMs, ended);
    this.state = 'done';
    this.outcome = {
      streamId: this.plan.streamId,
      started,
      errorCode: this.errorCode,
      results: report?.results ?? 0,
      // A stream that never started owes nothing; one cut short owes every hop it sent.
      missingResults: report?.missingResults ?? 0,
      finalSeen: report?.finalSeen ?? false,
      summarySeen: report?.summarySeen ?? false,
      unmatchedResults: this.unmatched,
      outOfOrder: report?.outOfOrder ?? 0,
      audioSentSeconds: audioMs / 1000,
      audioCoveredSeconds: (report?.coveredMs ?? 0) / 1000,
      endToSummaryMs: this.endToSummaryMs,
      maxLatencyMs: this.maxLatencyMs,
      maxStalenessMs: report?.maxStalenessMs ?? 0,
    };
    if (this.ws !== null && this.ws.readyState === WebSocket.OPEN && this.errorCode !== null) this.ws.close();
  }
}
