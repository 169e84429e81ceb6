/**
 * EmotionStreamClient: one logical emotion stream over protocol v1.
 *
 *   const client = new EmotionStreamClient({ url, token });
 *   await client.connect();
 *   await client.start({ sampleRate: 16000, encoding: 'pcm_s16le', channels: 1 });
 *   client.results$.subscribe((r) => …);      // or: for await (const ev of client) …
 *   client.send(pcm); …
 *   const summary = await client.end();
 *
 * Isomorphic: the socket comes from a SocketFactory (default: the global WebSocket; the
 * Node entry `node.ts` passes `ws`). Errors are typed (errors.ts). With `reconnect`, a
 * session lost to a retryable error is replaced by a new one, reported as a
 * `reconnected` event (see events.ts for what that implies).
 */
import { BehaviorSubject, Subject, filter, firstValueFrom, type Observable } from 'rxjs';
import {
  MODEL_SAMPLE_RATE_HZ,
  type ReadyMessage,
  type ServerMessage,
  type StartMessage,
  type SummaryMessage,
} from '../../shared/protocol.js';
import { BYTES_PER_SAMPLE } from '../../shared/dsp/pcm_decode.js';
import { toAsyncIterator } from './async_iter.js';
import {
  ClientStateError,
  ConnectionError,
  EmotionServerError,
  toStreamError,
  type EmotionStreamError,
} from './errors.js';
import { isEmotionResult, type ClientState, type EmotionResult, type StreamEvent } from './events.js';
import { LatencyTracker } from './latency.js';
import { backoffMs, resolveReconnect, type ReconnectOptions, type ReconnectPolicy } from './reconnect.js';
import type { Socket, SocketFactory } from './socket.js';
import { browserSocketFactory } from './socket_browser.js';
import { parseServerMessage } from './wire.js';

/** The `start` message without its `type`. */
export type StreamConfig = Omit<StartMessage, 'type'>;

export interface EmotionStreamClientOptions {
  /** Stream endpoint, e.g. `ws://127.0.0.1:8080/v1/stream`. */
  url: string;
  /** API key, when the server requires one (a Bearer header in Node, `?token=` in browsers). */
  token?: string;
  /** Replace lost sessions automatically: `true` for the defaults of reconnect.ts, or a policy. Default off. */
  reconnect?: boolean | ReconnectOptions;
  /** How sockets are made. Default: the global WebSocket (browsers). Node: `nodeSocketFactory`. */
  socketFactory?: SocketFactory;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: EmotionStreamError): void;
}

export class EmotionStreamClient implements AsyncIterable<StreamEvent> {
  private readonly subject = new Subject<StreamEvent>();
  private readonly stateSubject = new BehaviorSubject<ClientState>('idle');
  /** Every event, hot: subscribe before sending audio. Errors with an EmotionStreamError. */
  readonly events$: Observable<StreamEvent> = this.subject.asObservable();
  /** Only the `emotion` results. */
  readonly results$: Observable<EmotionResult> = this.events$.pipe(filter(isEmotionResult));
  /** Lifecycle state, replaying the current one to new subscribers. */
  readonly state$: Observable<ClientState> = this.stateSubject.asObservable();

  private readonly url: string;
  private readonly token: string | undefined;
  private readonly socketFactory: SocketFactory;
  private readonly reconnectPolicy: ReconnectPolicy | null;

  private socket: Socket | null = null;
  /** Incremented per socket; callbacks of older sockets are ignored. */
  private generation = 0;
  private config: StreamConfig | null = null;
  private bytesPerFrame = 1;
  private session: ReadyMessage | null = null;
  private latency: LatencyTracker | null = null;
  private lastResultEndMs = 0;
  private droppedBytes = 0;
  private serverError: EmotionServerError | null = null;
  private terminalError: EmotionStreamError | null = null;
  private waitOpen: Waiter<void> | null = null;
  private waitReady: Waiter<ReadyMessage> | null = null;
  private waitSummary: Waiter<SummaryMessage> | null = null;

  constructor(options: EmotionStreamClientOptions) {
    if (!/^wss?:\/\//.test(options.url)) throw new TypeError(`url: expected ws:// or wss://, got ${options.url}`);
    this.url = options.url;
    this.token = options.token;
    this.socketFactory = options.socketFactory ?? browserSocketFactory;
    this.reconnectPolicy = resolveReconnect(options.reconnect);
  }

  get state(): ClientState {
    return this.stateSubject.value;
  }

  /** The current server session (`ready` message), or null before the first one. */
  get currentSession(): ReadyMessage | null {
    return this.session;
  }

  /** Stream time sent but not yet answered by a result, ms; the flow-control window of `whenCaughtUp`. */
  get aheadMs(): number {
    return this.latency ? Math.max(0, this.latency.sentMs - this.lastResultEndMs) : 0;
  }

  /** Bytes the socket has queued but not yet written. */
  get bufferedAmount(): number {
    return this.socket?.bufferedAmount ?? 0;
  }

  async connect(): Promise<void> {
    this.expectState('connect', 'idle');
    this.setState('connecting');
    try {
      await this.openSocket();
    } catch (e) {
      throw this.fail(toStreamError(e));
    }
    if (this.state === 'connecting') this.setState('open');
  }

  /** Sends `start` and resolves with the server's `ready`. */
  async start(config: StreamConfig): Promise<ReadyMessage> {
    this.expectState('start', 'open');
    this.config = config;
    this.bytesPerFrame = (BYTES_PER_SAMPLE[config.encoding] ?? 1) * config.channels;
    this.setState('starting');
    let ready: ReadyMessage;
    try {
      ready = await this.handshake();
    } catch (e) {
      throw this.fail(toStreamError(e));
    }
    this.setState('streaming');
    this.subject.next(ready);
    return ready;
  }

  /**
   * Sends one chunk of audio in the declared format. Returns false when the chunk was
   * dropped because a lost session is being replaced (counted in `reconnected.droppedBytes`).
   */
  send(pcm: ArrayBuffer | ArrayBufferView): boolean {
    if (this.state === 'reconnecting') {
      this.droppedBytes += pcm.byteLength;
      return false;
    }
    this.expectState('send', 'streaming');
    this.socket?.send(pcm);
    this.latency?.recordSend(pcm.byteLength / this.bytesPerFrame, performance.now());
    return true;
  }

  /** Resolves once `aheadMs ≤ maxAheadMs`: the server has answered all but the last `maxAheadMs` of audio. */
  async whenCaughtUp(maxAheadMs: number): Promise<void> {
    while (this.aheadMs > maxAheadMs || this.state === 'reconnecting') {
      if (this.state !== 'streaming' && this.state !== 'reconnecting') this.expectState('whenCaughtUp', 'streaming');
      try {
        await firstValueFrom(this.subject);
      } catch {
        throw this.terminalError ?? new ClientStateError('whenCaughtUp: the client was closed');
      }
    }
  }

  /** Sends `end`; resolves with the session's summary once the server has flushed. */
  async end(): Promise<SummaryMessage> {
    if (this.state === 'reconnecting') {
      const error = new ConnectionError('connection_lost', 'end: the session was lost and not yet replaced; no summary');
      this.close();
      throw error;
    }
    this.expectState('end', 'streaming');
    this.setState('ending');
    const summary = new Promise<SummaryMessage>((resolve, reject) => (this.waitSummary = { resolve, reject }));
    this.socket?.send(JSON.stringify({ type: 'end' }));
    return summary;
  }

  /** Closes at once without a summary; pending promises reject with ClientStateError. */
  close(): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    this.setState('closed');
    this.generation++;
    this.socket?.close(1000, 'client closed');
    this.socket = null;
    this.rejectWaiters(new ClientStateError('the client was closed'));
    this.subject.complete();
  }

  /** Iterates every event from now on; `break` unsubscribes. */
  [Symbol.asyncIterator](): AsyncIterator<StreamEvent> {
    return toAsyncIterator(this.events$);
  }

  private openSocket(): Promise<void> {
    const generation = ++this.generation;
    this.serverError = null;
    return new Promise<void>((resolve, reject) => {
      // close()/fail() reject this waiter if they come first; the socket callbacks are then stale.
      this.waitOpen = { resolve, reject };
      let opened = false;
      let lastError = '';
      const current = (): boolean => generation === this.generation;
      this.socket = this.socketFactory(this.url, this.token ? { token: this.token } : {}, {
        onOpen: () => {
          if (!current()) return;
          opened = true;
          this.waitOpen = null;
          resolve();
        },
        onMessage: (data) => {
          if (current()) this.onMessage(data);
        },
        onError: (message) => {
          lastError = message;
        },
        onClose: (code, reason) => {
          if (!current()) return;
          this.socket = null;
          if (opened) {
            this.onClose(code, reason);
          } else {
            const why = lastError || reason || `close code ${code}`;
            this.waitOpen = null;
            reject(new ConnectionError('connection_failed', `could not connect to ${this.url}: ${why}`, code));
          }
        },
      });
    });
  }

  private handshake(): Promise<ReadyMessage> {
    const ready = new Promise<ReadyMessage>((resolve, reject) => (this.waitReady = { resolve, reject }));
    this.socket?.send(JSON.stringify({ type: 'start', ...this.config }));
    return ready;
  }

  private onMessage(data: string | ArrayBuffer): void {
    const msg: ServerMessage | null = typeof data === 'string' ? parseServerMessage(data) : null;
    if (!msg) return; // binary frames and unknown types are not part of protocol v1: ignore
    switch (msg.type) {
      case 'ready': {
        this.session = msg;
        this.latency = new LatencyTracker(this.config?.sampleRate ?? MODEL_SAMPLE_RATE_HZ);
        this.lastResultEndMs = 0;
        const waiter = this.waitReady;
        this.waitReady = null;
        waiter?.resolve(msg);
        break;
      }
      case 'emotion': {
        this.lastResultEndMs = msg.endMs;
        const latencyMs = this.latency?.onResult(msg.endMs, performance.now()) ?? null;
        this.subject.next({ ...msg, latencyMs });
        break;
      }
      case 'summary': {
        this.subject.next(msg);
        const waiter = this.waitSummary;
        this.waitSummary = null;
        waiter?.resolve(msg);
        this.socket?.close(1000, 'done');
        break;
      }
      case 'error':
        this.serverError = EmotionServerError.fromMessage(msg);
        break;
    }
  }

  private onClose(code: number, reason: string): void {
    const error: EmotionStreamError =
      this.serverError ??
      new ConnectionError('connection_lost', `connection closed (code ${code}${reason ? `: ${reason}` : ''})`, code);
    if (this.waitReady) {
      // A handshake in progress (start() or a reconnect attempt) owns this failure.
      const waiter = this.waitReady;
      this.waitReady = null;
      waiter.reject(error);
      return;
    }
    if (this.state === 'ending' && !this.waitSummary && !this.serverError) {
      this.setState('closed');
      this.subject.complete();
      return;
    }
    if (this.state === 'streaming' && this.reconnectPolicy && error.retryable) {
      void this.reconnect(this.reconnectPolicy, error);
      return;
    }
    this.fail(error);
  }

  private async reconnect(policy: ReconnectPolicy, cause: EmotionStreamError): Promise<void> {
    const previousSessionId = this.session?.sessionId ?? '';
    this.setState('reconnecting');
    this.droppedBytes = 0;
    let error = cause;
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      const delayMs = backoffMs(policy, attempt);
      this.subject.next({ type: 'reconnecting', attempt, delayMs, error });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (this.state !== 'reconnecting') return; // closed meanwhile
      try {
        await this.openSocket();
        const ready = await this.handshake();
        this.setState('streaming');
        this.subject.next({ type: 'reconnected', previousSessionId, sessionId: ready.sessionId, ready, attempt, droppedBytes: this.droppedBytes });
        this.droppedBytes = 0;
        return;
      } catch (e) {
        if (this.state !== 'reconnecting') return;
        error = toStreamError(e);
        if (!error.retryable) break;
      }
    }
    this.fail(error);
  }

  /** Terminal failure: every waiter and subscriber sees `error`. Returns it for `throw`. */
  private fail(error: EmotionStreamError): EmotionStreamError {
    if (this.state === 'failed' || this.state === 'closed') return this.terminalError ?? error;
    this.terminalError = error;
    this.generation++;
    this.socket?.close(1000);
    this.socket = null;
    this.setState('failed');
    this.rejectWaiters(error);
    this.subject.error(error);
    return error;
  }

  private rejectWaiters(error: EmotionStreamError): void {
    const waiters = [this.waitOpen, this.waitReady, this.waitSummary];
    this.waitOpen = null;
    this.waitReady = null;
    this.waitSummary = null;
    for (const w of waiters) w?.reject(error);
  }

  private expectState(operation: string, expected: ClientState): void {
    if (this.state === expected) return;
    if (this.terminalError) throw this.terminalError;
    throw new ClientStateError(`${operation}: expected state '${expected}', got '${this.state}'`);
  }

  private setState(state: ClientState): void {
    if (this.stateSubject.value !== state) this.stateSubject.next(state);
  }
}
