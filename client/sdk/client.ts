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
 * Node entry `node.ts` passes `ws`). Errors are typed (errors.ts). Each server session is
 * one Connection; with `reconnect`, a session lost to a retryable error is replaced by a
 * new one, reported as a `reconnected` event (see events.ts for what that implies).
 */
import { BehaviorSubject, Subject, filter, firstValueFrom, type Observable } from 'rxjs';
import type { ReadyMessage, StartMessage, SummaryMessage } from '../../shared/protocol.js';
import { toAsyncIterator } from './async_iter.js';
import { Connection } from './connection.js';
import { ClientStateError, ConnectionError, toStreamError, type EmotionStreamError } from './errors.js';
import { isEmotionResult, type ClientState, type EmotionResult, type StreamEvent } from './events.js';
import { backoffMs, resolveReconnect, type ReconnectOptions, type ReconnectPolicy } from './reconnect.js';
import type { SocketFactory } from './socket.js';
import { browserSocketFactory } from './socket_browser.js';

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
  /** The current server session's connection. */
  private connection: Connection | null = null;
  private config: StreamConfig | null = null;
  private session: ReadyMessage | null = null;
  private droppedBytes = 0;
  private terminalError: EmotionStreamError | null = null;

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
    return this.connection?.aheadMs ?? 0;
  }

  /** Bytes the socket has queued but not yet written. */
  get bufferedAmount(): number {
    return this.connection?.bufferedAmount ?? 0;
  }

  async connect(): Promise<void> {
    this.expectState('connect', 'idle');
    this.setState('connecting');
    try {
      await this.openConnection().opened;
    } catch (e) {
      throw this.fail(toStreamError(e));
    }
    this.setState('open');
  }

  /** Sends `start` and resolves with the server's `ready`. */
  async start(config: StreamConfig): Promise<ReadyMessage> {
    this.expectState('start', 'open');
    this.config = config;
    this.setState('starting');
    try {
      this.session = await this.requireConnection().handshake(config);
    } catch (e) {
      throw this.fail(toStreamError(e));
    }
    this.setState('streaming');
    this.subject.next(this.session);
    return this.session;
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
    this.requireConnection().send(pcm);
    return true;
  }

  /** Resolves once `aheadMs ≤ maxAheadMs`: the server has answered all but the last `maxAheadMs` of audio. */
  async whenCaughtUp(maxAheadMs: number): Promise<void> {
    while (this.aheadMs > maxAheadMs || this.state === 'reconnecting') {
      if (this.state !== 'reconnecting') this.expectState('whenCaughtUp', 'streaming');
      try {
        await firstValueFrom(this.subject);
      } catch {
        throw this.terminalError ?? new ClientStateError('whenCaughtUp: the client was closed');
      }
    }
  }

  /**
   * Sends `end`; resolves with the session's summary once the server has flushed. Called
   * while a lost session is being replaced, it first waits for the replacement (and then
   * ends it: its summary covers the audio sent to it), or rejects as the reconnect fails.
   */
  async end(): Promise<SummaryMessage> {
    if (this.state === 'reconnecting') await firstValueFrom(this.state$.pipe(filter((s) => s !== 'reconnecting')));
    this.expectState('end', 'streaming');
    this.setState('ending');
    return this.requireConnection().end(); // a failure also reaches onClosed → fail()
  }

  /** Closes at once without a summary; pending promises reject with ClientStateError. */
  close(): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    this.setState('closed');
    this.connection?.close();
    this.connection = null;
    this.subject.complete();
  }

  /** Iterates every event from now on; `break` unsubscribes. */
  [Symbol.asyncIterator](): AsyncIterator<StreamEvent> {
    return toAsyncIterator(this.events$);
  }

  /** A new Connection as the current one; events of replaced connections are ignored. */
  private openConnection(): Connection {
    this.connection?.close();
    const connection: Connection = new Connection(this.socketFactory, this.url, this.token, {
      onResult: (result) => {
        if (connection === this.connection) this.subject.next(result);
      },
      onSummary: (summary) => {
        if (connection === this.connection) this.subject.next(summary);
      },
      onAlert: (alert) => {
        if (connection === this.connection) this.subject.next(alert);
      },
      onNotice: (notice) => {
        if (connection === this.connection) this.subject.next(notice);
      },
      onClosed: (error) => {
        if (connection === this.connection) this.onClosed(error);
      },
    });
    this.connection = connection;
    return connection;
  }

  private requireConnection(): Connection {
    if (!this.connection) throw new ClientStateError(`no connection in state '${this.state}'`);
    return this.connection;
  }

  private onClosed(error: EmotionStreamError | null): void {
    switch (this.state) {
      case 'starting':
      case 'reconnecting':
        return; // the handshake in progress owns this failure
      case 'ending':
        if (error) {
          this.fail(error);
        } else {
          this.setState('closed');
          this.connection = null;
          this.subject.complete();
        }
        return;
      case 'streaming': {
        // A summary we did not ask for (the server draining) also ends the session.
        const lost = error ?? new ConnectionError('connection_lost', 'the server ended the session');
        if (this.reconnectPolicy && lost.retryable) void this.reconnect(this.reconnectPolicy, lost);
        else this.fail(lost);
        return;
      }
      default:
        if (error) this.fail(error);
    }
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
      if (this.state !== 'reconnecting' || !this.config) return; // closed meanwhile
      try {
        const connection = this.openConnection();
        await connection.opened;
        const ready = await connection.handshake(this.config);
        this.session = ready;
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
    this.setState('failed');
    this.connection?.close(error);
    this.connection = null;
    this.subject.error(error);
    return error;
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
