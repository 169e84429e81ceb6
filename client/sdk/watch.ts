/**
 * Watching sessions from elsewhere (an agent's desktop, a supervisor's wallboard):
 *
 *   const sessions = await listSessions({ url: 'http://127.0.0.1:8080', token });
 *   watch(sessions[0].id, { url, token }).subscribe((m) => …);   // or for await (… of watchIterable(…))
 *
 * `watch` emits the `watching` message, the replayed history, then the session's live
 * `emotion` / `alert` / `summary` messages, and completes after `ended`. An HTTP refusal
 * (404 session_not_found, 401 unauthorized, 429 too_many_watchers) or an `error` event
 * (slow_consumer) errors it with an EmotionServerError; a lost connection with a
 * ConnectionError. Unsubscribing aborts the request.
 */
import { Observable } from 'rxjs';
import { isErrorCode } from '../../shared/error_codes.js';
import type { ErrorMessage } from '../../shared/protocol.js';
import { SESSIONS_PATH } from '../../shared/protocol.js';
import { sessionEventsPath, type SessionInfo, type SessionList, type WatchMessage } from '../../shared/watch.js';
import { toAsyncIterator } from './async_iter.js';
import { ConnectionError, EmotionServerError } from './errors.js';
import { SseParser } from './sse.js';

export interface WatchOptions {
  /** The server, e.g. `http://127.0.0.1:8080` (a ws:// URL is accepted and mapped to http://). */
  url: string;
  /** API key, when the server requires one (sent as a Bearer header). */
  token?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

function endpoint(options: WatchOptions, path: string, query: Record<string, string> = {}): string {
  const url = new URL(options.url);
  if (url.protocol === 'ws:') url.protocol = 'http:';
  if (url.protocol === 'wss:') url.protocol = 'https:';
  url.pathname = path;
  url.search = new URLSearchParams(query).toString();
  return url.toString();
}

function headers(options: WatchOptions): Record<string, string> {
  return options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` };
}

async function refusal(response: Response): Promise<EmotionServerError> {
  const body = (await response.json().catch(() => null)) as Partial<ErrorMessage> | null;
  if (body !== null && isErrorCode(body.code)) return new EmotionServerError(body.code, body.message ?? '', body.retryable);
  return new EmotionServerError('internal', `expected a JSON answer, got HTTP ${response.status}`);
}

/** Live sessions; `filter` keeps those whose externalIds hold every given pair (e.g. `{ callSid }`). */
export async function listSessions(options: WatchOptions, filter: Record<string, string> = {}): Promise<SessionInfo[]> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(endpoint(options, SESSIONS_PATH, filter), { headers: headers(options) });
  } catch (err) {
    throw new ConnectionError('connection_failed', err instanceof Error ? err.message : String(err));
  }
  if (!response.ok) throw await refusal(response);
  return ((await response.json()) as SessionList).sessions;
}

/** One session's messages from now on (history replayed first); completes after `ended`. */
export function watch(sessionId: string, options: WatchOptions): Observable<WatchMessage> {
  return new Observable<WatchMessage>((subscriber) => {
    const abort = new AbortController();
    const doFetch = options.fetch ?? fetch;
    void (async () => {
      let response: Response;
      try {
        response = await doFetch(endpoint(options, sessionEventsPath(sessionId)), {
          headers: { ...headers(options), Accept: 'text/event-stream' },
          signal: abort.signal,
        });
      } catch (err) {
        if (!abort.signal.aborted) subscriber.error(new ConnectionError('connection_failed', err instanceof Error ? err.message : String(err)));
        return;
      }
      if (!response.ok || response.body === null) {
        subscriber.error(await refusal(response));
        return;
      }
      const parser = new SseParser();
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const data of parser.push(decoder.decode(value, { stream: true }))) {
            const message = JSON.parse(data) as WatchMessage;
            if (message.type === 'error') {
              subscriber.error(EmotionServerError.fromMessage(message));
              return;
            }
            subscriber.next(message);
            if (message.type === 'ended') {
              subscriber.complete();
              return;
            }
          }
        }
        subscriber.error(new ConnectionError('connection_lost', 'the watch stream ended before the session did'));
      } catch (err) {
        if (!abort.signal.aborted) subscriber.error(new ConnectionError('connection_lost', err instanceof Error ? err.message : String(err)));
      } finally {
        abort.abort();
      }
    })();
    return () => abort.abort();
  });
}

/** `watch` as an async iterator: `for await (const m of watchIterable(id, options)) …`. */
export function watchIterable(sessionId: string, options: WatchOptions): AsyncIterableIterator<WatchMessage> {
  return toAsyncIterator(watch(sessionId, options));
}
