/**
 * The HTTP side: `/` (the browser client, when built), `/healthz`, `/readyz`, `/metrics`,
 * `POST /v1/analyze` and the watch routes (`/v1/sessions…`, watch/routes.ts). Errors are
 * the protocol's error object with the code's status.
 */
import { existsSync } from 'node:fs';
import express, { type NextFunction, type Request, type Response } from 'express';
import { ERROR_CODES, ProtocolError, type ErrorCode } from '../shared/error_codes.js';
import { ANALYZE_PATH } from '../shared/protocol.js';
import { analyze } from './analyze/analyze.js';
import { admitAnalysis, type AdmissionContext, type AdmittedAnalysis } from './analyze/admission.js';
import { isAuthorized, presentedKey } from './auth.js';
import { sendHttpError } from './http_error.js';
import { securityHeaders } from './security_headers.js';
import { watchRoutes } from './watch/routes.js';

export interface HttpContext extends AdmissionContext {
  /** /readyz answers 503 (server/drain.ts): true from the drain's start, before admission stops. */
  isUnready(): boolean;
}

function sendError(res: Response, ctx: HttpContext, code: ErrorCode, message: string): void {
  sendHttpError(res, ctx.metrics, code, message);
}

/** Status of a request whose client went away before the answer (nginx's convention). */
const CLIENT_CLOSED_STATUS = 499;

export function createHttpApp(ctx: HttpContext): express.Express {
  const { config, metrics, pool, registry, logger } = ctx;
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res) => {
    // Not ready while draining, while no inference worker runs (one is being respawned), or
    // while full: a load balancer should send new sessions elsewhere.
    const status = ctx.isUnready() ? 'draining' : pool.liveWorkers === 0 ? 'no_worker' : registry.capacityLeft === 0 ? 'full' : 'ready';
    const body = {
      status,
      model: { id: pool.model.id, labels: pool.model.labels },
      // The model that serves streams at 8 kHz or less instead (server/workers/band.ts); null when none.
      narrowbandModel: pool.model.narrowbandId === null ? null : { id: pool.model.narrowbandId },
      engine: pool.engine,
      // Why not a faster engine: [{engine, reason, detail}] for each one passed over.
      engineSkipped: pool.engineSkipped,
      mode: config.mode,
      sessions: registry.size,
      capacityLeft: ctx.isUnready() ? 0 : registry.capacityLeft,
    };
    res.status(status === 'ready' ? 200 : 503).json(body);
  });

  app.get('/metrics', async (req, res) => {
    if (config.metricsRequireKey && !isAuthorized(config.apiKeys, presentedKey(req.headers, new URL(req.originalUrl, 'http://localhost')))) {
      return sendError(res, ctx, 'unauthorized', 'expected a valid API key in "Authorization: Bearer <key>" or ?token=');
    }
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  app.use(watchRoutes(ctx));

  // The body is not parsed here: analyze() reads it from the request as the analysis
  // takes it (bounded memory per upload, analyze/body.ts).
  app.post(ANALYZE_PATH, admitAnalysis(ctx), async (req: Request, res: Response) => {
    const { signal } = res.locals.analysis as AdmittedAnalysis;
    try {
      const result = await analyze(req, req.query as Record<string, unknown>, ctx, signal);
      metrics.analyzeRequests.inc({ status: 200 });
      res.json(result);
    } catch (err) {
      if (signal.aborted && !(signal.reason instanceof ProtocolError && signal.reason.code === 'shutting_down')) {
        // Nobody is listening any more; count it, answer nothing.
        metrics.analyzeRequests.inc({ status: CLIENT_CLOSED_STATUS });
        return;
      }
      const error = err instanceof ProtocolError ? err : new ProtocolError('internal', 'internal error');
      if (!(err instanceof ProtocolError)) logger.error('analyze failed', { error: err instanceof Error ? err.message : String(err) });
      metrics.analyzeRequests.inc({ status: ERROR_CODES[error.code].httpStatus });
      // The rest of the body stays unread (a body too large may be endless): close the connection after the answer.
      if (!req.complete) res.set('Connection', 'close');
      sendError(res, ctx, error.code, error.message);
    }
  });

  if (existsSync(config.staticDir)) {
    // The supervisor's wallboard (client/browser/wallboard.ts) at a clean path.
    app.get('/wallboard', (_req, res) => res.sendFile('wallboard.html', { root: config.staticDir }));
    app.use('/', express.static(config.staticDir));
  } else {
    app.get('/', (_req, res) => {
      res.type('text/plain').send('speech emotion recognition server: the browser client is not built (npm run build:client); stream on /v1/stream\n');
    });
  }

  // Malformed requests and anything unexpected, as protocol errors.
  app.use((err: Error & { status?: number }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err.status !== undefined && err.status >= 400 && err.status < 500) {
      return sendError(res, ctx, 'bad_message', `expected a well-formed request, got ${err.message}`);
    }
    logger.error('http error', { error: err.message });
    sendError(res, ctx, 'internal', 'internal error');
  });

  return app;
}
