/** Human wording for everything that can go wrong on the page, keyed by protocol code or DOMException name. */
import type { ErrorCode } from '../../shared/error_codes.js';
import { isEmotionStreamError } from '../sdk/index.js';
import { DecodeError } from './file_audio.js';

export interface Notice {
  level: 'error' | 'warning' | 'info';
  title: string;
  detail: string;
  /** The protocol or SDK code, shown small for bug reports. */
  code?: string;
}

const SERVER_TEXT: Record<ErrorCode, string> = {
  bad_message: 'The server did not understand a message from this page (a client bug).',
  unsupported_format: 'The server does not accept this audio format.',
  message_too_large: 'An audio message was larger than the server allows.',
  bad_audio: 'The server could not decode the audio (invalid samples).',
  rate_limited: 'Audio arrived faster than the server could process it.',
  too_many_sessions: 'The server is at its session limit.',
  unauthorized: 'The server requires an API key: add ?token=… to the page address or fill in Connection settings.',
  forbidden_origin: 'The server does not accept connections from this page’s origin.',
  internal: 'The server hit an internal error; other sessions are unaffected.',
  shutting_down: 'The server is shutting down.',
  slow_consumer: 'This page did not read the results fast enough, so the server closed the stream.',
  idle_timeout: 'No audio reached the server for too long, so it closed the stream.',
  max_duration: 'The stream reached the server’s longest session; start again to go on.',
  session_not_found: 'That session is not live on this server (it ended, or the id is wrong).',
  too_many_watchers: 'That session already has as many watchers as the server allows.',
};

export function noticeFor(err: unknown, serverUrl: string): Notice {
  if (err instanceof DOMException) {
    if (err.name === 'NotAllowedError' || err.name === 'SecurityError') {
      return {
        level: 'error',
        title: 'Microphone access denied',
        detail: 'Allow the microphone for this site (the icon in the address bar), then press Start again. You can still analyse a file.',
        code: err.name,
      };
    }
    if (err.name === 'NotFoundError' || err.name === 'OverconstrainedError') {
      return { level: 'error', title: 'No microphone found', detail: 'Connect a microphone, or analyse a file instead.', code: err.name };
    }
    if (err.name === 'NotReadableError') {
      return { level: 'error', title: 'Microphone busy', detail: 'Another application is using the microphone.', code: err.name };
    }
  }
  if (err instanceof DecodeError) return { level: 'error', title: 'Cannot read that file', detail: err.message };
  if (isEmotionStreamError(err)) {
    const retry = err.retryable ? ' Trying again later may work.' : '';
    switch (err.code) {
      case 'connection_failed':
        return { level: 'error', title: 'Cannot reach the server', detail: `No answer from ${serverUrl}. Is the server running?`, code: err.code };
      case 'connection_lost':
        return { level: 'error', title: 'Connection lost', detail: `${err.message}.${retry}`, code: err.code };
      case 'client_state':
        return { level: 'error', title: 'Unexpected state', detail: err.message, code: err.code };
      default:
        return { level: 'error', title: 'The server refused the stream', detail: `${SERVER_TEXT[err.code]} ${err.message}.${retry}`, code: err.code };
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return { level: 'error', title: 'Something went wrong', detail: message };
}
