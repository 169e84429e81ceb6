/**
 * Security headers on every HTTP answer (the page and the API): the page loads only its own
 * scripts and styles, cannot be framed (clickjacking), and MIME types are not sniffed.
 * `connect-src` stays open to any ws/http(s) origin because the page lets its user point it
 * at another server (Connection settings). `Referrer-Policy: no-referrer` keeps a `?token=`
 * in the page's address out of Referer headers sent to other sites.
 */
import type { NextFunction, Request, Response } from 'express';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "worker-src 'self'",
  "connect-src 'self' ws: wss: http: https:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
  });
  next();
}
