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
import { Session, type SessionContext } from './session/session.js';
import { isValidTwilioSignature, signedUrl, TWILIO_SIGNATURE_HEADER } from './telephony/twilio_signature.js';
import { twilioWire } from './telephony/twilio_wire.js';

/**
 * The socket-level payload cap is this multiple of maxMessageBytes. Messages between the two
 * get a proper `message_too_large` error; beyond it ws refuses before buffering (bare 1009).
 */
const HARD_PAYLOAD_FACTOR = 2;

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
  const alive = new WeakMap<WebSocket, boolean>();
  /** Per admitted socket: its session, and what the previous heartbeat saw of it. */
  const beats = new WeakMap<WebSocket, { session: Session; resultsSent: number; stalled: number }>();

  const refuse = (ws: WebSocket, code: ErrorCode, message: string): void => {
    const error = new ProtocolError(code, message);
    metrics.countError(code);
    logger.info('connection refused', { code });
    ws.send(JSON.stringify({ type: 'error', code, message, retryable: error.retryable }));
    ws.close(error.closeCode, code);
  };

  const admit = (ws: WebSocket, request: IncomingMessage, url: URL): void => {
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
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
    beats.set(ws, { session, resultsSent: 0, stalled: 0 });
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

  // Heartbeat: a peer that has not answered the previous ping is gone (half-open TCP); a
  // paused one is judged by its progress instead (liveness.ts).
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      const beat = beats.get(ws);
      const resultsSent = beat?.session.resultsSent ?? 0;
      const state = {
        answered: alive.get(ws) !== false,
        paused: ws.isPaused,
        progressed: resultsSent > (beat?.resultsSent ?? 0),
        stalledBefore: beat?.stalled ?? 0,
      };
      const verdict = heartbeatVerdict(state);
      if (beat !== undefined) {
        beat.resultsSent = resultsSent;
        beat.stalled = stalledBeats(state);
      }
      if (verdict === 'exempt') {
        alive.set(ws, true);
      } else if (verdict === 'ping') {
        alive.set(ws, false);
        ws.ping();
      } else {
        const kind = verdict === 'drop_dead' ? 'heartbeat' : 'stalled';
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
