/**
 * Stable error codes of protocol v1. Each maps to the WebSocket close code the server
 * uses after sending `{"type":"error",…}`, to an HTTP status for the REST endpoints,
 * and to whether a client may retry the same request later (ws `createError`,
 * agents-js `APIError.retryable`).
 */
export const ERROR_CODES = {
  /** Non-JSON text, unknown message type, missing/invalid field, audio before `start`. */
  bad_message: { closeCode: 1008, httpStatus: 400, retryable: false },
  /** Encoding, sample rate or channel count outside what the server accepts. */
  unsupported_format: { closeCode: 1003, httpStatus: 415, retryable: false },
  /** One WebSocket message (or an HTTP body) larger than `maxMessageBytes`. */
  message_too_large: { closeCode: 1009, httpStatus: 413, retryable: false },
  /** Audio that decodes to NaN/Inf floats or is otherwise malformed. */
  bad_audio: { closeCode: 1007, httpStatus: 422, retryable: false },
  /** The client sent audio faster than the per-session backlog allows. */
  rate_limited: { closeCode: 1008, httpStatus: 429, retryable: true },
  /** The server is at `maxSessions`. */
  too_many_sessions: { closeCode: 1013, httpStatus: 503, retryable: true },
  /** API keys are configured and none (or a wrong one) was given. */
  unauthorized: { closeCode: 1008, httpStatus: 401, retryable: false },
  /** The `Origin` header is not in the allowed list. */
  forbidden_origin: { closeCode: 1008, httpStatus: 403, retryable: false },
  /** A bug or an engine failure on the server; the session is closed, others carry on. */
  internal: { closeCode: 1011, httpStatus: 500, retryable: true },
  /** The server is draining for shutdown. */
  shutting_down: { closeCode: 1001, httpStatus: 503, retryable: true },
  /**
   * The client did not read what the server sent: its unsent results passed
   * `maxUnsentBytes`. Retry on a connection that reads its results.
   */
  slow_consumer: { closeCode: 1008, httpStatus: 429, retryable: true },
  /** No audio arrived (and no result was due) for `idleTimeoutMs` after `start`. */
  idle_timeout: { closeCode: 1008, httpStatus: 408, retryable: true },
  /**
   * The session reached `maxSessionSeconds`: its audio was finished (final result and
   * summary sent first), then this. Reconnect to go on.
   */
  max_duration: { closeCode: 1008, httpStatus: 408, retryable: true },
  /** `GET /v1/sessions/{id}…` for a session that is not live on this server (ended, or never was). */
  session_not_found: { closeCode: 1008, httpStatus: 404, retryable: false },
  /** The session already has `maxWatchersPerSession` watchers. */
  too_many_watchers: { closeCode: 1013, httpStatus: 429, retryable: true },
} as const satisfies Record<string, { closeCode: number; httpStatus: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** An error carrying a protocol code; thrown by pipeline stages, surfaced once to the client. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly closeCode: number;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.retryable = ERROR_CODES[code].retryable;
    this.closeCode = ERROR_CODES[code].closeCode;
  }
}
