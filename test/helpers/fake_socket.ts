/**
 * The parts of a ws WebSocket a Session uses, recording what the session does with them,
 * and a SessionContext around a given pool (real configuration, metrics, registry and
 * watch registry): for the tests that drive a Session without a real socket.
 */
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import type { ErrorCode } from '../../shared/error_codes.js';
import type { ServerMessage } from '../../shared/protocol.js';
import type { ServerConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { createMetrics } from '../../server/metrics.js';
import type { InferencePool } from '../../server/workers/batcher.js';
import { SessionRegistry } from '../../server/session/registry.js';
import type { SessionContext } from '../../server/session/context.js';
import { watchContext } from '../../server/watch/context.js';

export class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  isPaused = false;
  readonly sent: ServerMessage[] = [];
  readonly closes: { code: number; reason: string }[] = [];
  terminated = false;
  send(data: string): void {
    this.sent.push(JSON.parse(data) as ServerMessage);
  }
  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
    this.readyState = 2;
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
  pause(): void {
    this.isPaused = true;
  }
  resume(): void {
    this.isPaused = false;
  }
  /** The last close, or null. */
  get closedWith(): { code: number; reason: string } | null {
    return this.closes[this.closes.length - 1] ?? null;
  }
  /** The socket as a Session takes it. */
  get asWebSocket(): WebSocket {
    return this as unknown as WebSocket;
  }
  /** A text message from the client. */
  text(message: object): void {
    this.emit('message', Buffer.from(JSON.stringify(message)), false);
  }
  /** A binary message of `bytes` zero bytes from the client (default 250 ms of 16 kHz s16). */
  audio(bytes = 8_000): void {
    this.emit('message', Buffer.alloc(bytes), true);
  }
  errors(): { code: ErrorCode; retryable: boolean }[] {
    return this.sent.flatMap((m) => (m.type === 'error' ? [{ code: m.code, retryable: m.retryable }] : []));
  }
}

/** A SessionContext for `pool`: silent logs, fresh metrics, a registry of 10. */
export function fakeSessionContext(config: ServerConfig, pool: InferencePool, labels: readonly string[]): SessionContext & { metrics: ReturnType<typeof createMetrics>; registry: SessionRegistry } {
  const metrics = createMetrics({ modelId: pool.model.id, engine: 'cpu', mode: 'streaming' });
  return { config, pool, metrics, logger: createLogger('silent'), registry: new SessionRegistry(10), ...watchContext(config, [...labels], metrics) };
}
