/**
 * Typed exceptions of the SDK. Every error a caller can see carries a stable `code` and
 * whether retrying later may succeed (`retryable`), in the manner of agents-js
 * `APIError.retryable`:
 * - `EmotionServerError` — the server sent `{"type":"error",…}`; `code` is a protocol v1
 *   code from shared/error_codes.ts, `retryable` is what the server said.
 * - `ConnectionError` — the transport failed (could not connect, or the socket closed
 *   without a protocol error); always retryable.
 * - `ClientStateError` — the caller used the client out of order (e.g. `send` before
 *   `start`); a bug in the calling code, never retryable.
 */
import { ERROR_CODES, ProtocolError, isErrorCode, type ErrorCode } from '../../shared/error_codes.js';
import type { ErrorMessage } from '../../shared/protocol.js';

export class EmotionServerError extends ProtocolError {
  /** What the server said in its error message; may differ from the table's default. */
  override readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, retryable: boolean = ERROR_CODES[code].retryable) {
    super(code, message);
    this.name = 'EmotionServerError';
    this.retryable = retryable;
  }

  static fromMessage(msg: ErrorMessage): EmotionServerError {
    const code: ErrorCode = isErrorCode(msg.code) ? msg.code : 'internal';
    return new EmotionServerError(code, msg.message, msg.retryable);
  }
}

export type ConnectionErrorCode = 'connection_failed' | 'connection_lost';

export class ConnectionError extends Error {
  readonly code: ConnectionErrorCode;
  readonly retryable = true;
  /** WebSocket close code, when the socket closed (1006 = closed without a close frame). */
  readonly closeCode: number | undefined;

  constructor(code: ConnectionErrorCode, message: string, closeCode?: number) {
    super(message);
    this.name = 'ConnectionError';
    this.code = code;
    this.closeCode = closeCode;
  }
}

export class ClientStateError extends Error {
  readonly code = 'client_state';
  readonly retryable = false;

  constructor(message: string) {
    super(message);
    this.name = 'ClientStateError';
  }
}

/** Any error the SDK surfaces. Narrow on `instanceof` or on `code`. */
export type EmotionStreamError = EmotionServerError | ConnectionError | ClientStateError;

export function isEmotionStreamError(err: unknown): err is EmotionStreamError {
  return err instanceof EmotionServerError || err instanceof ConnectionError || err instanceof ClientStateError;
}

/** Wraps anything thrown into the SDK's error types (a plain Error becomes a ConnectionError). */
export function toStreamError(err: unknown): EmotionStreamError {
  if (isEmotionStreamError(err)) return err;
  if (err instanceof ProtocolError) return new EmotionServerError(err.code, err.message, err.retryable);
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectionError('connection_lost', message);
}
