/** Protocol v1 on the wire, client side: parsing server frames, putting the token in the URL. */
import type { ServerMessage } from '../../shared/protocol.js';

const SERVER_MESSAGE_TYPES: ReadonlySet<string> = new Set<ServerMessage['type']>(['ready', 'emotion', 'summary', 'alert', 'notice', 'error']);

/**
 * Parses one text frame from the server. Returns null for anything that is not a protocol
 * v1 server message (invalid JSON, unknown `type`), which the client ignores: a newer
 * server may add message types.
 */
export function parseServerMessage(text: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' && SERVER_MESSAGE_TYPES.has(type) ? (value as ServerMessage) : null;
}

/** Adds `token` as a query parameter: the one place a browser WebSocket can carry it. */
export function withToken(url: string, token: string | undefined): string {
  if (!token) return url;
  const parsed = new URL(url);
  parsed.searchParams.set('token', token);
  return parsed.toString();
}
