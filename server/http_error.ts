/** The protocol's error object as an HTTP answer, with the code's status; counted in ser_errors_total. */
import type { Response } from 'express';
import { ERROR_CODES, type ErrorCode } from '../shared/error_codes.js';
import type { ServerMetrics } from './metrics.js';

export function sendHttpError(res: Response, metrics: ServerMetrics, code: ErrorCode, message: string): void {
  metrics.countError(code);
  const { httpStatus, retryable } = ERROR_CODES[code];
  res.status(httpStatus).json({ type: 'error', code, message, retryable });
}
