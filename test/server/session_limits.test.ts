/**
 * Session limits with a fake socket: `slow_consumer` and `max_duration`. Over loopback the kernel's socket buffers hold
 * several MB before ws's own send buffer grows (tcp_rmem/tcp_wmem autotuning), so a real
 * client that never reads needs minutes of audio to show it; here the session runs against
 * a socket whose `bufferedAmount` the test sets, and a pool whose pipeline answers each
 * audio message with one result. Real metrics, registry and configuration.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CODES } from '../../shared/error_codes.js';
import type { EmotionMessage } from '../../shared/protocol.js';
import type { ServerConfig } from '../../server/config.js';
import { resolveConfig } from '../../server/config_resolve.js';
import type { createMetrics } from '../../server/metrics.js';
import type { InferencePool, PipelineHandlers, RemotePipeline } from '../../server/workers/batcher.js';
import type { PipelineOpen } from '../../server/workers/messages.js';
import { Session } from '../../server/session/session.js';
import { FakeSocket, fakeSessionContext } from '../helpers/fake_socket.js';

const LABELS = ['neutral', 'angry'];
const MAX_UNSENT_BYTES = 16_384;

/** A pool whose pipelines answer every audio message with one 250 ms result at once. */
function echoPool(): InferencePool {
  const pool = {
    model: { id: 'echo', labels: LABELS },
    openPipeline(_open: PipelineOpen, handlers: PipelineHandlers): RemotePipeline {
      let seq = 0;
      return {
        push: (chunk) => {
          const message: EmotionMessage = {
            type: 'emotion',
            seq,
            startMs: seq * 250,
            endMs: seq * 250 + 249,
            probs: { neutral: 0.5, angry: 0.5 },
            top: 'neutral',
            confidence: 0.5,
            voiced: false,
            arousal: 0,
            valence: 0,
          };
          seq += 1;
          handlers.next({ message, arrivedAtMs: chunk.arrivedAtMs, hopEndMs: seq * 250 });
        },
        end: () => handlers.complete(),
        close: () => undefined,
      };
    },
  };
  return pool as unknown as InferencePool;
}

function startSession(overrides: Partial<ServerConfig> = {}): { ws: FakeSocket; metrics: ReturnType<typeof createMetrics> } {
  const config = resolveConfig({ maxUnsentBytes: MAX_UNSENT_BYTES, logLevel: 'silent', maxRealTimeMultiple: 10_000, ...overrides });
  const ws = new FakeSocket();
  const ctx = fakeSessionContext(config, echoPool(), LABELS);
  ctx.registry.tryAdd(new Session(ws.asWebSocket, ctx));
  ws.text({ type: 'start', sampleRate: 16_000, encoding: 'pcm_s16le', channels: 1 });
  return { ws, metrics: ctx.metrics };
}

const audio = (): Buffer => Buffer.alloc(8_000); // 250 ms of 16 kHz s16

describe('slow_consumer', () => {
  it('results are sent while the unsent bytes stay under the cap', () => {
    const { ws, metrics } = startSession();
    ws.bufferedAmount = MAX_UNSENT_BYTES; // at the cap, not past it
    for (let i = 0; i < 5; i += 1) ws.emit('message', audio(), true);
    assert.equal(ws.sent.filter((m) => m.type === 'emotion').length, 5);
    assert.equal(ws.closedWith, null);
    ws.emit('close');
    metrics.stop();
  });

  it('past the cap: one slow_consumer error, close 1008, the socket destroyed after the grace', async () => {
    const { ws, metrics } = startSession();
    ws.emit('message', audio(), true);
    ws.bufferedAmount = MAX_UNSENT_BYTES + 1;
    ws.emit('message', audio(), true);
    ws.emit('message', audio(), true);
    assert.equal(ws.sent.filter((m) => m.type === 'emotion').length, 1, 'no result queued past the cap');
    const errors = ws.sent.filter((m) => m.type === 'error');
    assert.equal(errors.length, 1);
    assert.deepEqual(
      { code: errors[0]?.type === 'error' ? errors[0].code : null, retryable: errors[0]?.type === 'error' ? errors[0].retryable : null },
      { code: 'slow_consumer', retryable: true },
    );
    assert.deepEqual(ws.closedWith, { code: ERROR_CODES.slow_consumer.closeCode, reason: 'slow_consumer' });
    assert.equal(ws.terminated, false, 'the peer gets a moment to take the close frame');
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    assert.equal(ws.terminated, true, 'then its buffers are released');
    const text = await metrics.registry.metrics();
    assert.match(text, /ser_errors_total\{code="slow_consumer"\} 1/);
    assert.match(text, /ser_timeouts_total\{kind="slow_consumer"\} 1/);
    assert.match(text, /ser_sessions_active 0/);
    metrics.stop();
  });

  it('a large summary is never refused: the cap is checked before results only', () => {
    const { ws, metrics } = startSession();
    ws.emit('message', audio(), true);
    ws.bufferedAmount = MAX_UNSENT_BYTES; // a full buffer, then `end`
    ws.emit('message', Buffer.from(JSON.stringify({ type: 'end' })), false);
    assert.ok(ws.sent.some((m) => m.type === 'summary'));
    assert.equal(ws.closedWith?.code, 1000);
    metrics.stop();
  });
});

describe('max_duration', () => {
  it('at maxSessionSeconds the session finishes its audio (results, then the summary), then max_duration', async () => {
    const { ws, metrics } = startSession({ maxSessionSeconds: 1 });
    ws.emit('message', audio(), true);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    ws.emit('message', audio(), true); // after the limit: not processed
    const types = ws.sent.map((m) => m.type);
    assert.deepEqual(types, ['ready', 'emotion', 'summary', 'error']);
    const error = ws.sent.at(-1);
    assert.equal(error?.type === 'error' ? error.code : null, 'max_duration');
    assert.equal(error?.type === 'error' ? error.retryable : null, true);
    assert.deepEqual(ws.closedWith, { code: ERROR_CODES.max_duration.closeCode, reason: 'max_duration' });
    const text = await metrics.registry.metrics();
    assert.match(text, /ser_timeouts_total\{kind="max_duration"\} 1/);
    metrics.stop();
  });
});
