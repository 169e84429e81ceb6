/**
 * Admission for `POST /v1/analyze`, decided from the request line and headers BEFORE the
 * body is read: draining, API key, declared size, concurrent uploads, session capacity. A
 * refused upload is answered at once with `Connection: close`, so its body is never
 * buffered (nor drained) by this process. An admitted one holds a session slot and an
 * upload slot from here until its response closes, and carries an AbortSignal that fires
 * when the client goes away or a drain's grace period ends, so the analysis stops within
 * one slice and frees its slot.
 */
import type { NextFunction, Request, Response } from 'express';
import { ERROR_CODES, ProtocolError, type ErrorCode } from '../../shared/error_codes.js';
import { isAuthorized, presentedKey } from '../auth.js';
import type { Drainable } from '../session/registry.js';
import type { SessionContext } from '../session/context.js';

/** What an admitted analysis carries to its handler (in `res.locals.analysis`). */
export interface AdmittedAnalysis {
  /** Fires with a ProtocolError (`shutting_down`) on abort, or when the client disconnects. */
  signal: AbortSignal;
}

export interface AdmissionContext extends SessionContext {
  isDraining(): boolean;
}

export function sendError(res: Response, ctx: SessionContext, code: ErrorCode, message: string): void {
  ctx.metrics.countError(code);
  const { httpStatus, retryable } = ERROR_CODES[code];
  ctx.metrics.analyzeRequests.inc({ status: httpStatus });
  res.status(httpStatus).json({ type: 'error', code, message, retryable });
}

export function admitAnalysis(ctx: AdmissionContext): (req: Request, res: Response, next: NextFunction) => void {
  const { config, metrics, registry } = ctx;
  let uploads = 0;

  const refuse = (res: Response, code: ErrorCode, message: string): void => {
    // The body stays unread: close the connection after the answer instead of draining it.
    res.set('Connection', 'close');
    sendError(res, ctx, code, message);
  };

  return (req, res, next) => {
    if (ctx.isDraining()) return refuse(res, 'shutting_down', 'the server is shutting down');
    // The same keys as the stream endpoint guard analysis; probes stay open.
    if (!isAuthorized(config.apiKeys, presentedKey(req.headers, new URL(req.originalUrl, 'http://localhost')))) {
      return refuse(res, 'unauthorized', 'expected a valid API key in "Authorization: Bearer <key>" or ?token=');
    }
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (Number.isFinite(declared) && declared > config.maxAnalyzeBytes) {
      return refuse(res, 'message_too_large', `expected a body of at most ${config.maxAnalyzeBytes} bytes, got Content-Length ${declared}`);
    }
    if (uploads >= config.maxConcurrentAnalyses) {
      return refuse(res, 'too_many_sessions', `expected at most ${config.maxConcurrentAnalyses} analyses at once, the server is busy`);
    }
    const controller = new AbortController();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slot: Drainable = {
      drain: () => released,
      abort: () => controller.abort(new ProtocolError('shutting_down', 'the server is shutting down and the grace period is over')),
    };
    if (!registry.tryAdd(slot)) {
      return refuse(res, 'too_many_sessions', `expected fewer than ${config.maxSessions} live sessions, the server is full`);
    }
    uploads += 1;
    metrics.analyzeInFlight.inc();
    res.once('close', () => {
      // A response closed before it finished means the client went away: stop the work.
      if (!res.writableFinished) controller.abort(new ProtocolError('internal', 'the client closed the request'));
      uploads -= 1;
      metrics.analyzeInFlight.dec();
      registry.remove(slot);
      release();
    });
    res.locals.analysis = { signal: controller.signal } satisfies AdmittedAnalysis;
    next();
  };
}
