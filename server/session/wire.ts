/**
 * What a session's socket speaks. The session owns the data path (queue, pipeline,
 * backpressure, limits, summary, watchers); a Wire turns the peer's messages into session
 * actions and says whether the session's messages go back to the peer. The stream
 * protocol (`GET /v1/stream`, docs/protocol.md) is `streamWire`; telephony ingests
 * (server/telephony/) are others.
 */
import type { RawData } from 'ws';
import { ProtocolError } from '../../shared/error_codes.js';
import type { SessionInfo } from '../../shared/watch.js';
import { parseClientMessage, resolveFormat, type StreamFormat } from './start.js';

export type WireAction =
  | { kind: 'start'; format: StreamFormat }
  | { kind: 'audio'; bytes: Uint8Array; channel?: number }
  | { kind: 'end' };

export interface Wire {
  /** Shown to watchers as the session's `source`. */
  readonly source: SessionInfo['source'];
  /** Whether results, the summary and errors are sent back on the socket (telephony platforms do not want them). */
  readonly repliesToPeer: boolean;
  /** One socket message → the actions it asks for (none, one or several). Throws ProtocolError. */
  parse(data: Uint8Array, isBinary: boolean): WireAction[];
}

/** The stream protocol: JSON `start` / `end` text messages, binary audio. */
export function streamWire(defaults: { hopMs: number; smoothing: number }): Wire {
  return {
    source: 'stream',
    repliesToPeer: true,
    parse(data, isBinary) {
      if (isBinary) return [{ kind: 'audio', bytes: data }];
      const message = parseClientMessage(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
      if (message.type === 'start') return [{ kind: 'start', format: resolveFormat(message as unknown as Record<string, unknown>, defaults) }];
      if (message.type === 'end') return [{ kind: 'end' }];
      throw new ProtocolError('bad_message', 'expected start or end');
    },
  };
}

/** A ws message's payload as one byte array. */
export function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}
