/**
 * `GET /v1/stream` (and `GET /v1/twilio`, telephony/twilio_wire.ts): the WebSocket upgrade, admission (draining, origin, API key, capacity),
 * message-size limits and the heartbeat. Each admitted socket becomes one Session.
 *
 * Refusals are sent as a protocol error on an accepted socket, then closed with the code's
 * close code — browsers cannot read an HTTP refusal of an upgrade, but they can read this.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ProtocolError, type ErrorCode } from '../shared/error_codes.js';
import { STREAM_PATH, TWILIO_PATH } from '../shared/protocol.js';
import { isAuthorized, isOriginAllowed, presentedKey } from './auth.js';
import { heartbeatVerdict, stalledBeats } from './session/liveness.js';
import type { SessionContext } from './session/context.js';
import { Session } from './session/session.js';
import { isValidTwilioSignature, signedUrl, TWILIO_SIGNATURE_HEADER } from './telephony/twilio_signature.js';
import { twilioWire } from './telephony/twilio_wire.js';

/**
 * The socket-level payload cap is this multiple of maxMessageBytes. Messages between the two
 * get a proper `message_too_large` error; beyond it ws refuses before buffering (bare 1009).
 */
const HARD_PAYLOAD_FACTOR = 2;

/** What the heartbeat keeps of one admitted socket between beats. */
interface SessionBeat {
  session: Session;
  /** The session's results sent at the previous beat. */
  resultsSent: number;
  /** Paused beats in a row with no result (liveness.ts stalledBeats). */
  stalled: number;
  /** When the last ping was sent, performance.now() ms. */
  pingAtMs: number;
  /** The session's pause count when the last ping was sent. */
  pausesAtPing: number;
}

export interface StreamServer {
  /** Live sockets (sessions and refusals being closed). */
  readonly clients: Set<WebSocket>;
  close(): Promise<void>;
}

export function attachStreamServer(
  httpServer: Server,
  ctx: SessionContext & { isDraining(): boolean },
): StreamServer {
  const { config, metrics, logger } = ctx;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxMessageBytes * HARD_PAYLOAD_FACTOR,
    // Compression costs CPU per message on raw audio that hardly compresses.
    perMessageDeflate: false,
  });
  /** Whether each socket answered its last ping (absent: never pinged). */
  const pongs = new WeakMap<WebSocket, boolean>();
  /** Per admitted socket: its session, and what the previous heartbeats saw of it. */
  const beats = new WeakMap<WebSocket, SessionBeat>();

  const refuse = (ws: WebSocket, code: ErrorCode, message: string): void => {
    const error = new ProtocolError(code, message);
    metrics.countError(code);
    logger.info('connection refused', { code });
    ws.send(JSON.stringify({ type: 'error', code, message, retryable: error.retryable }));
    ws.close(error.closeCode, code);
  };

  const admit = (ws: WebSocket, request: IncomingMessage, url: URL): void => {
    ws.on('pong', () => pongs.set(ws, true));
    if (ctx.isDraining()) return refuse(ws, 'shutting_down', 'the server is shutting down; reconnect elsewhere');
    if (!isOriginAllowed(config.allowedOrigins, request.headers.origin)) {
      return refuse(ws, 'forbidden_origin', `expected an allowed Origin, got ${JSON.stringify(request.headers.origin)}`);
    }
    const key = presentedKey(request.headers, url);
    const authorized = isAuthorized(config.apiKeys, key);
    // Twilio may carry its key in the stream's custom parameters, checked at its `start`.
    const twilio = url.pathname === TWILIO_PATH;
    if (twilio && config.twilioAuthToken !== '' && !isValidTwilioSignature(config.twilioAuthToken, signedUrl(request, config.twilioStreamUrl), request.headers[TWILIO_SIGNATURE_HEADER])) {
      return refuse(ws, 'unauthorized', 'expected a valid X-Twilio-Signature for this URL');
    }
    if (!authorized && !(twilio && key === null)) {
      return refuse(ws, 'unauthorized', 'expected a valid API key in "Authorization: Bearer <key>" or ?token=');
    }
    if (ctx.registry.capacityLeft === 0) {
      return refuse(ws, 'too_many_sessions', `expected fewer than ${config.maxSessions} live sessions, the server is full`);
    }
    const defaults = { hopMs: config.defaultHopMs, smoothing: config.defaultSmoothing };
    const wire = twilio ? twilioWire({ apiKeys: config.apiKeys, authorizedAtUpgrade: authorized, defaults }) : undefined;
    const session = new Session(ws, ctx, wire);
    beats.set(ws, { session, resultsSent: 0, stalled: 0, pingAtMs: 0, pausesAtPing: 0 });
    ctx.registry.tryAdd(session);
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== STREAM_PATH && url.pathname !== TWILIO_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => admit(ws, request, url));
  };
  httpServer.on('upgrade', onUpgrade);

  // Heartbeat: every socket is pinged; one that has not answered by the next beat is gone,
  // unless backpressure paused it meanwhile (its pong may wait behind audio we have not
  // read): that one gets pausedPongTimeoutMs, then counts as not reading (liveness.ts).
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      // A closing socket was judged already (its session ended, e.g. with slow_consumer):
      // its close grace or ws's close timer ends it, and it must not be counted again.
      if (ws.readyState !== ws.OPEN) continue;
      const beat = beats.get(ws);
      const resultsSent = beat?.session.resultsSent ?? 0;
      const pauseCount = beat?.session.pauseCount ?? 0;
      const nowMs = performance.now();
      const answered = pongs.get(ws) !== false;
      const unansweredMs = answered ? 0 : nowMs - (beat?.pingAtMs ?? nowMs);
      const state = {
        answered,
        unansweredMs,
        pausedSincePing: ws.isPaused || pauseCount !== (beat?.pausesAtPing ?? 0),
        paused: ws.isPaused,
        progressed: resultsSent > (beat?.resultsSent ?? 0),
        stalledBefore: beat?.stalled ?? 0,
      };
      const verdict = heartbeatVerdict(state, config.pausedPongTimeoutMs);
      if (beat !== undefined) {
        beat.resultsSent = resultsSent;
        beat.stalled = stalledBeats(state);
      }
      if (verdict === 'ping') {
        pongs.set(ws, false);
        if (beat !== undefined) {
          beat.pingAtMs = nowMs;
          beat.pausesAtPing = pauseCount;
        }
        ws.ping();
      } else if (verdict === 'drop_unread' && beat !== undefined) {
        logger.info('paused and no pong within pausedPongTimeoutMs: the client is not reading; dropping it');
        beat.session.dropUnread(unansweredMs);
      } else if (verdict !== 'wait') {
        const kind = verdict === 'drop_stalled' ? 'stalled' : 'heartbeat';
        metrics.timeouts.inc({ kind });
        logger.info(kind === 'heartbeat' ? 'peer missed a heartbeat; dropping it' : 'paused for a whole heartbeat with no progress; dropping it');
        ws.terminate();
      }
    }
  }, config.heartbeatMs);
  heartbeat.unref();

  return {
    clients: wss.clients,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        httpServer.off('upgrade', onUpgrade);
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}
