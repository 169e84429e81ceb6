/**
 * A caller: one SDK client (auto-reconnect on) streaming speech through the balancer at
 * real time, as a phone call would, and recording every server session it went through
 * (the replica that served it, its results, its summary, how it ended). A drained session
 * ends with a summary we did not ask for; a killed replica's session ends without one;
 * either way the SDK opens a new session and the call goes on.
 */
import { filter, firstValueFrom } from 'rxjs';
import { EmotionStreamClient } from '../../../client/sdk/client.js';
import type { EmotionResult, StreamEvent } from '../../../client/sdk/events.js';
import type { SummaryMessage } from '../../../shared/protocol.js';
import { FIXTURES, readWavPcm } from '../../helpers/server.js';
import { tracedSocketFactory } from './traced_socket.js';

export const SAMPLE_RATE_HZ = 16_000;
/** pcm_s16le mono: bytes per ms of audio. */
export const BYTES_PER_MS = (SAMPLE_RATE_HZ * 2) / 1000;
export const HOP_MS = 250;
const CHUNK_MS = 100;

export interface Segment {
  replica: string;
  sessionId: string;
  results: EmotionResult[];
  summary: SummaryMessage | null;
  /** Audio bytes handed to this session's socket. */
  sentBytes: number;
  /** `end`: we sent end and got the summary; `drained`: the server finished it (summary unasked); `lost`: dropped without a summary; `open`: never ended. */
  ended: 'end' | 'drained' | 'lost' | 'open';
  /** Close code of a lost session's socket. */
  lostCloseCode: number | null;
}

export interface CallRecord {
  id: number;
  /** performance.now() when the call began connecting. */
  startedAtMs: number;
  segments: Segment[];
  outcome: 'completed' | 'failed' | 'running';
  error: string | null;
}

let speech: Promise<Uint8Array> | null = null;

/** The three fixture clips end to end (16 kHz pcm_s16le mono). */
export function fixtureSpeech(): Promise<Uint8Array> {
  speech ??= (async () => {
    const clips = await Promise.all([FIXTURES.neutral, FIXTURES.happy, FIXTURES.angry].map((path) => readWavPcm(path)));
    for (const clip of clips) {
      if (clip.sampleRateHz !== SAMPLE_RATE_HZ || clip.encoding !== 'pcm_s16le' || clip.channels !== 1) {
        throw new Error(`expected 16 kHz pcm_s16le mono fixtures, got ${clip.sampleRateHz} Hz ${clip.encoding} × ${clip.channels}`);
      }
    }
    return new Uint8Array(Buffer.concat(clips.map((c) => c.data)));
  })();
  return speech;
}

/** `seconds` of speech: the fixtures looped from a per-call offset, so calls differ. */
export async function callAudio(seconds: number, offsetMs: number): Promise<Uint8Array> {
  const loop = await fixtureSpeech();
  const out = new Uint8Array(Math.round(seconds * 1000) * BYTES_PER_MS);
  let from = (Math.round(offsetMs) * BYTES_PER_MS) % loop.length;
  for (let at = 0; at < out.length; ) {
    const n = Math.min(out.length - at, loop.length - from);
    out.set(loop.subarray(from, from + n), at);
    at += n;
    from = 0;
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export class Call {
  readonly record: CallRecord;
  readonly done: Promise<CallRecord>;
  private lastReplica = 'unknown';
  private ending = false;
  private hangUp = false;

  constructor(url: string, id: number, audio: Uint8Array) {
    this.record = { id, startedAtMs: performance.now(), segments: [], outcome: 'running', error: null };
    this.done = this.run(url, audio);
  }

  /** The session now serving this call, if any. */
  get current(): Segment | undefined {
    return this.record.segments.at(-1);
  }

  /** Stop sending and end the call after the chunk in flight (it still gets its summary). */
  endNow(): void {
    this.hangUp = true;
  }

  private async run(url: string, audio: Uint8Array): Promise<CallRecord> {
    const client = new EmotionStreamClient({
      url,
      socketFactory: tracedSocketFactory((replica) => (this.lastReplica = replica)),
      reconnect: { maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 1000 },
    });
    client.events$.subscribe({ next: (ev) => this.onEvent(ev), error: () => undefined });
    try {
      await client.connect();
      await client.start({ sampleRate: SAMPLE_RATE_HZ, encoding: 'pcm_s16le', channels: 1, hopMs: HOP_MS });
      const chunkBytes = CHUNK_MS * BYTES_PER_MS;
      const t0 = performance.now();
      for (let at = 0; at < audio.length && !this.hangUp; at += chunkBytes) {
        const chunk = audio.subarray(at, Math.min(at + chunkBytes, audio.length));
        await sleep(t0 + (at + chunk.length) / BYTES_PER_MS - performance.now());
        const segment = this.current;
        if (client.send(chunk) && segment !== undefined) segment.sentBytes += chunk.length;
      }
      // A call that hangs up while its session is being replaced waits for the new one.
      await firstValueFrom(client.state$.pipe(filter((s) => s !== 'reconnecting')));
      this.ending = true;
      await client.end();
      this.record.outcome = 'completed';
    } catch (err) {
      this.record.outcome = 'failed';
      this.record.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      client.close();
    }
    return this.record;
  }

  private onEvent(ev: StreamEvent): void {
    const segment = this.current;
    switch (ev.type) {
      case 'ready':
        this.open(ev.sessionId);
        break;
      case 'reconnected':
        this.open(ev.sessionId);
        break;
      case 'emotion':
        segment?.results.push(ev);
        break;
      case 'summary':
        if (segment !== undefined) {
          segment.summary = ev;
          segment.ended = this.ending ? 'end' : 'drained';
        }
        break;
      case 'reconnecting':
        if (segment !== undefined && segment.ended === 'open') {
          segment.ended = 'lost';
          segment.lostCloseCode = 'closeCode' in ev.error ? (ev.error.closeCode ?? null) : null;
        }
        break;
    }
  }

  private open(sessionId: string): void {
    this.record.segments.push({ replica: this.lastReplica, sessionId, results: [], summary: null, sentBytes: 0, ended: 'open', lostCloseCode: null });
  }
}
