/**
 * Who may open a stream: API keys (constant-time comparison) and allowed browser origins.
 * Pure functions over the request's headers and URL, so they are tested without sockets.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The key a client presented: `Authorization: Bearer <key>`, else `?token=` (browsers cannot set headers). */
export function presentedKey(headers: IncomingHttpHeaders, url: URL): string | null {
  const header = headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match?.[1] !== undefined) return match[1].trim();
  }
  const token = url.searchParams.get('token');
  return token !== null && token !== '' ? token : null;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * True when no keys are configured or `key` equals one of them. Both sides are hashed to a
 * fixed length first so timingSafeEqual applies and the key's length does not leak, and
 * every configured key is compared (no early exit).
 */
export function isAuthorized(apiKeys: readonly string[], key: string | null): boolean {
  if (apiKeys.length === 0) return true;
  const presented = digest(key ?? '');
  let ok = false;
  for (const candidate of apiKeys) {
    if (timingSafeEqual(presented, digest(candidate))) ok = true;
  }
  return ok && key !== null;
}

/**
 * True when no origins are configured, the request carries no Origin header (a non-browser
 * client: the check protects browsers from cross-site WebSocket hijacking, it is not
 * authentication), or its Origin is listed. `*` in the list allows any origin.
 */
export function isOriginAllowed(allowedOrigins: readonly string[], origin: string | undefined): boolean {
  if (allowedOrigins.length === 0 || origin === undefined) return true;
  return allowedOrigins.includes('*') || allowedOrigins.includes(origin);
}
