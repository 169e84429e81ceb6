/**
 * One socket carrying one server session: open, `start` → `ready`, audio, `end` →
 * `summary`, close. It parses frames, measures latency and turns every way the socket can
 * end into one typed error (or none, after a summary). EmotionStreamClient owns one
 * Connection at a time and replaces it when reconnecting.
 */
import { BYTES_PER_SAMPLE } from '../../shared/dsp/pcm_decode.js';
import type { AlertMessage, NoticeMessage, ReadyMessage, StartMessage, SummaryMessage } from '../../shared/protocol.js';
import { ClientStateError, ConnectionError, EmotionServerError, type EmotionStreamError } from './errors.js';
import type { EmotionResult } from './events.js';
import { LatencyTracker } from './latency.js';
import type { Socket, SocketFactory } from './socket.js';
import { parseServerMessage } from './wire.js';

export interface ConnectionEvents {
  onResult(result: EmotionResult): void;
  onSummary(summary: SummaryMessage): void;
  /** A server-side alert rule changed state (only when the server has rules). */
  onAlert(alert: AlertMessage): void;
  /** Something the server wants known that does not end the session (e.g. `worker_restarted`). */
  onNotice(notice: NoticeMessage): void;
  /**
   * The session is over: `error` is null when a summary ended it (asked for or not — a
   * draining server ends sessions too; reported as the summary arrives, not at the close
   * that follows it, so nothing more is sent into the ended session), else the socket
   * closed with the server's error or a ConnectionError. Not called after `close()`.
   */
  onClosed(error: EmotionStreamError | null): void;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: EmotionStreamError): void;
}

/** The promises in flight, each settled at most once (taken out of its slot first). */
interface Waiters {
  open: Waiter<void> | null;
  ready: Waiter<ReadyMessage> | null;
  summary: Waiter<SummaryMessage> | null;
}

export class Connection {
  /** Resolves when the socket is open; rejects with ConnectionError('connection_failed'). */
  readonly opened: Promise<void>;
  private readonly socket: Socket;
  private readonly waiters: Waiters = { open: null, ready: null, summary: null };
  private serverError: EmotionServerError | null = null;
  /** The session's summary, once it came: the answer to an `end` sent after it. */
  private summary: SummaryMessage | null = null;
  private detached = false;
  private latency: LatencyTracker | null = null;
  private bytesPerFrame = 1;
  private lastResultEndMs = 0;

  constructor(factory: SocketFactory, url: string, token: string | undefined, private readonly events: ConnectionEvents) {
    this.opened = new Promise<void>((resolve, reject) => (this.waiters.open = { resolve, reject }));
    let lastError = '';
    this.socket = factory(url, token ? { token } : {}, {
      onOpen: () => this.take('open')?.resolve(),
      onMessage: (data) => this.onMessage(data),
      onError: (message) => {
        lastError = message;
      },
      onClose: (code, reason) => {
        if (this.detached) return;
        const opening = this.take('open');
        if (opening) {
          const why = lastError || reason || `close code ${code}`;
          opening.reject(new ConnectionError('connection_failed', `could not connect to ${url}: ${why}`, code));
          return;
        }
        const error = this.serverError ?? new ConnectionError('connection_lost', `connection closed (code ${code}${reason ? `: ${reason}` : ''})`, code);
        this.rejectPending(error);
        this.events.onClosed(error);
      },
    });
  }

  /** Stream time sent but not yet answered by a result, ms. */
  get aheadMs(): number {
    return this.latency ? Math.max(0, this.latency.sentMs - this.lastResultEndMs) : 0;
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  /** Sends `start`; resolves with `ready`, rejects with the server's error or the close. */
  handshake(config: Omit<StartMessage, 'type'>): Promise<ReadyMessage> {
    this.bytesPerFrame = (BYTES_PER_SAMPLE[config.encoding] ?? 1) * config.channels;
    this.latency = new LatencyTracker(config.sampleRate);
    const ready = new Promise<ReadyMessage>((resolve, reject) => (this.waiters.ready = { resolve, reject }));
    this.socket.send(JSON.stringify({ type: 'start', ...config }));
    return ready;
  }

  send(pcm: ArrayBuffer | ArrayBufferView): void {
    this.socket.send(pcm);
    this.latency?.recordSend(pcm.byteLength / this.bytesPerFrame, performance.now());
  }

  /** Sends `end`; resolves with the summary (at once when the server has already ended the session with one). */
  end(): Promise<SummaryMessage> {
    if (this.summary !== null) return Promise.resolve(this.summary);
    const summary = new Promise<SummaryMessage>((resolve, reject) => (this.waiters.summary = { resolve, reject }));
    this.socket.send(JSON.stringify({ type: 'end' }));
    return summary;
  }

  /** Closes the socket and forgets it: pending promises reject with `reason`, no more events. */
  close(reason: EmotionStreamError = new ClientStateError('the client was closed')): void {
    this.detach('client closed', reason);
  }

  private onMessage(data: string | ArrayBuffer): void {
    // Binary frames and unknown message types are not protocol v1: ignored.
    const msg = !this.detached && typeof data === 'string' ? parseServerMessage(data) : null;
    switch (msg?.type) {
      case 'ready':
        this.take('ready')?.resolve(msg);
        break;
      case 'emotion': {
        this.lastResultEndMs = msg.endMs;
        const latencyMs = this.latency?.onResult(msg.endMs, performance.now()) ?? null;
        this.events.onResult({ ...msg, latencyMs });
        break;
      }
      case 'alert':
        this.events.onAlert(msg);
        break;
      case 'notice':
        this.events.onNotice(msg);
        break;
      case 'summary':
        this.summary = msg;
        this.events.onSummary(msg);
        this.take('summary')?.resolve(msg);
        this.ended();
        break;
      case 'error':
        this.serverError = EmotionServerError.fromMessage(msg);
        break;
    }
  }

  /** After the summary: the session is over now, whatever the close handshake still takes. */
  private ended(): void {
    if (this.detach('done', new ConnectionError('connection_lost', 'the session ended before the answer'))) this.events.onClosed(null);
  }

  /** Closes the socket and forgets it (no more events from it); pending promises reject with `reason`. False if already detached. */
  private detach(closeReason: string, reason: EmotionStreamError): boolean {
    if (this.detached) return false;
    this.detached = true;
    this.socket.close(1000, closeReason);
    this.rejectPending(reason);
    return true;
  }

  private take<K extends keyof Waiters>(key: K): Waiters[K] {
    const waiter = this.waiters[key];
    this.waiters[key] = null;
    return waiter;
  }

  private rejectPending(error: EmotionStreamError): void {
    this.take('open')?.reject(error);
    this.take('ready')?.reject(error);
    this.take('summary')?.reject(error);
  }
}
