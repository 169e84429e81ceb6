/** What the generator's clients read off their sockets: server messages and refused upgrades. */
import type { ServerMessage } from '../shared/protocol.js';

/** The server message in a WebSocket frame, or null when the frame is binary or not JSON. */
export function parseServerMessage(data: Buffer, isBinary: boolean): ServerMessage | null {
  if (isBinary) return null;
  try {
    return JSON.parse(data.toString('utf8')) as ServerMessage;
  } catch {
    return null;
  }
}

/** `http_<status>` when the server refused the upgrade (ws: "Unexpected server response: 503"), else null. */
export function refusedUpgradeCode(err: Error): string | null {
  const status = /Unexpected server response: (\d+)/.exec(err.message)?.[1];
  return status === undefined ? null : `http_${status}`;
}
