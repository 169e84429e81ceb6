/**
 * Watching sessions over HTTP, behind the API keys like every stream:
 *   GET /v1/sessions                 live sessions (filter: ?<externalId key>=<value>)
 *   GET /v1/sessions/{id}            one session, or 404 session_not_found
 *   GET /v1/sessions/{id}/events     Server-Sent Events: `watching`, the recent history,
 *                                    then the session's emotion / alert / summary messages
 *                                    live, then `ended`
 * At most `maxWatchersPerSession` watchers per session (429 too_many_watchers); a watcher
 * that does not read is dropped (sse_sink.ts) without touching the session.
 */
import { Router, type Request, type Response } from 'express';
import { SESSIONS_PATH } from '../../shared/protocol.js';
import { isAuthorized, presentedKey } from '../auth.js';
import type { ServerConfig } from '../config.js';
import { sendHttpError } from '../http_error.js';
import type { ServerMetrics } from '../metrics.js';
import type { WatchRegistry } from './registry.js';
import { sseSink } from './sse_sink.js';

export interface WatchRouteContext {
  config: ServerConfig;
  metrics: ServerMetrics;
  watch: WatchRegistry;
}

/** Query keys that are not external-id filters. */
const RESERVED_QUERY_KEYS = new Set(['token']);

export function watchRoutes(ctx: WatchRouteContext): Router {
  const { config, metrics, watch } = ctx;
  const router = Router();

  router.use(SESSIONS_PATH, (req: Request, res: Response, next) => {
    if (isAuthorized(config.apiKeys, presentedKey(req.headers, new URL(req.originalUrl, 'http://localhost')))) return next();
    sendHttpError(res, metrics, 'unauthorized', 'expected a valid API key in "Authorization: Bearer <key>" or ?token=');
  });

  router.get(SESSIONS_PATH, (req, res) => {
    const filter: Record<string, string> = {};
    for (const [key, value] of new URL(req.originalUrl, 'http://localhost').searchParams) {
      if (!RESERVED_QUERY_KEYS.has(key)) filter[key] = value;
    }
    res.set('Cache-Control', 'no-store').json({ sessions: watch.list(filter) });
  });

  const notFound = (res: Response, id: string): void =>
    sendHttpError(res, metrics, 'session_not_found', `expected the id of a live session, got ${JSON.stringify(id.slice(0, 80))}`);

  router.get(`${SESSIONS_PATH}/:id`, (req, res) => {
    const watched = watch.get(req.params.id ?? '');
    if (watched === undefined) return notFound(res, req.params.id ?? '');
    res.set('Cache-Control', 'no-store').json(watched.info());
  });

  router.get(`${SESSIONS_PATH}/:id/events`, (req, res) => {
    const id = req.params.id ?? '';
    const watched = watch.get(id);
    if (watched === undefined) return notFound(res, id);
    if (watched.watcherCount >= config.maxWatchersPerSession) {
      return sendHttpError(res, metrics, 'too_many_watchers', `expected fewer than ${config.maxWatchersPerSession} watchers of this session, got that many`);
    }
    let unsubscribe = (): void => undefined;
    metrics.watchersActive.inc();
    const sink = sseSink(res, {
      maxUnsentBytes: config.watcherMaxUnsentBytes,
      keepAliveMs: config.heartbeatMs,
      onClose: () => {
        unsubscribe();
        metrics.watchersActive.dec();
      },
    });
    const outcome = watched.subscribe(sink);
    if (outcome.ok) unsubscribe = outcome.unsubscribe;
  });

  return router;
}
