/**
 * One WebSocket session (server/session/session.ts) against a stand-in socket and a pool
 * whose pipelines answer in this thread: `start` answers `ready`; audio or `end` before it
 * and a second `start` are `bad_message`; `end` flushes to the final result and the summary,
 * then closes 1000; a ProtocolError from the pipeline ends the session with its code; the
 * heartbeat's `dropUnread` ends it with `slow_consumer`. Each ending sends one error at
 * most, closes once and releases the pipeline. Real configuration, metrics and registry.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CODES, ProtocolError, type ErrorCode } from '../../../shared/error_codes.js';
import type { EmotionMessage } from '../../../shared/protocol.js';
import { resolveConfig } from '../../../server/config_resolve.js';
import type { InferencePool, PipelineHandlers, RemotePipeline } from '../../../server/workers/batcher.js';
import type { PipelineOpen } from '../../../server/workers/messages.js';
import { Session } from '../../../server/session/session.js';
import { FakeSocket, fakeSessionContext } from '../../helpers/fake_socket.js';

const LABELS = ['neutral', 'angry'];
/** 250 ms of 16 kHz pcm_s16le. */
const HOP_BYTES = 8_000;

const START = { type: 'start', sampleRate: 16_000, encoding: 'pcm_s16le', channels: 1 };

/** What the pool saw of its pipelines. */
interface PoolLog {
  opened: string[];
  pushedBytes: number;
  ended: number;
  closed: number;
}

const emotion = (seq: number, final: boolean): EmotionMessage => ({
  type: 'emotion',
  seq,
  startMs: seq * 250,
  endMs: seq * 250 + 250,
  probs: { neutral: 0.25, angry: 0.75 },
  top: 'angry',
  confidence: 0.75,
  voiced: true,
  arousal: 0.5,
  valence: -0.5,
  ...(final ? { final: true } : {}),
});

/**
 * A pool whose pipelines answer each pushed chunk with one result, and `end` with a final
 * result and completion; `failWith` makes the first push fail the stream instead.
 */
function fakePool(log: PoolLog, failWith?: ProtocolError): InferencePool {
  const pool = {
    model: { id: 'fake', labels: LABELS },
    openPipeline(open: PipelineOpen, handlers: PipelineHandlers): RemotePipeline {
      log.opened.push(open.sessionId);
      let seq = 0;
      return {
        push: (chunk) => {
          log.pushedBytes += chunk.bytes.length;
          if (failWith !== undefined) return handlers.error(failWith);
          handlers.next({ message: emotion(seq, false), arrivedAtMs: chunk.arrivedAtMs, hopEndMs: (seq + 1) * 250 });
          seq += 1;
        },
        end: (endedAtMs) => {
          log.ended += 1;
          handlers.next({ message: emotion(seq, true), arrivedAtMs: endedAtMs, hopEndMs: Number.POSITIVE_INFINITY });
          handlers.complete();
        },
        close: () => {
          log.closed += 1;
        },
      };
    },
  };
  return pool as unknown as InferencePool;
}

function setup(failWith?: ProtocolError) {
  const config = resolveConfig({ logLevel: 'silent', maxRealTimeMultiple: 10_000 });
  const log: PoolLog = { opened: [], pushedBytes: 0, ended: 0, closed: 0 };
  const ws = new FakeSocket();
  const ctx = fakeSessionContext(config, fakePool(log, failWith), LABELS);
  const session = new Session(ws.asWebSocket, ctx);
  ctx.registry.tryAdd(session);
  return { ws, session, log, metrics: ctx.metrics, registry: ctx.registry };
}

/** Lets the audio queue's macrotasks run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

/** A sample's value in the exposition text (undefined when absent), so a failure prints one line, not the page. */
async function metric(t: ReturnType<typeof setup>, sample: string): Promise<string | undefined> {
  const text = await t.metrics.registry.metrics();
  return text.split('\n').find((line) => line.startsWith(`${sample} `))?.slice(sample.length + 1);
}

/** One error with this code, one close with its close code, the session released. */
async function assertEndedWith(t: ReturnType<typeof setup>, code: ErrorCode): Promise<void> {
  await t.session.closed;
  assert.deepEqual(t.ws.errors(), [{ code, retryable: ERROR_CODES[code].retryable }], `one ${code} error`);
  assert.deepEqual(t.ws.closes, [{ code: ERROR_CODES[code].closeCode, reason: code }], `closed once with ${code}'s close code`);
  assert.equal(t.registry.size, 0, 'removed from the registry');
  assert.equal(await metric(t, 'ser_sessions_active'), '0');
  t.metrics.stop();
}

describe('session', () => {
  it('start answers ready with the session id', () => {
    const t = setup();
    t.ws.text(START);
    assert.deepEqual(t.ws.sent.map((m) => m.type), ['ready']);
    const [ready] = t.ws.sent;
    assert.equal(ready?.type === 'ready' ? ready.sessionId : null, t.session.id);
    assert.deepEqual(t.log.opened, [t.session.id], 'one pipeline opened');
    assert.deepEqual(t.ws.closes, [], 'still open');
    t.ws.emit('close');
    t.metrics.stop();
  });

  it('audio before start: bad_message, no pipeline', async () => {
    const t = setup();
    t.ws.audio();
    await assertEndedWith(t, 'bad_message');
    assert.deepEqual(t.log.opened, [], 'no pipeline opened');
  });

  it('end before start: bad_message', async () => {
    const t = setup();
    t.ws.text({ type: 'end' });
    await assertEndedWith(t, 'bad_message');
  });

  it('a second start: bad_message, the pipeline released', async () => {
    const t = setup();
    t.ws.text(START);
    t.ws.text(START);
    await assertEndedWith(t, 'bad_message');
    assert.deepEqual(t.ws.sent.map((m) => m.type), ['ready', 'error']);
    assert.equal(t.log.closed, 1, 'the pipeline is closed');
  });

  it('end: the queued audio, the final result and the summary, then close 1000', async () => {
    const t = setup();
    t.ws.text(START);
    for (let i = 0; i < 3; i += 1) t.ws.audio();
    t.ws.text({ type: 'end' });
    t.ws.audio(); // after end: never fed
    await settle();
    await t.session.closed;

    assert.deepEqual(t.ws.sent.map((m) => m.type), ['ready', 'emotion', 'emotion', 'emotion', 'emotion', 'summary']);
    const results = t.ws.sent.flatMap((m) => (m.type === 'emotion' ? [m] : []));
    assert.deepEqual(results.map((m) => m.final === true), [false, false, false, true], 'the last result is final');
    assert.equal(t.log.pushedBytes, 3 * HOP_BYTES, 'every audio message before end is fed, none after');
    assert.equal(t.log.ended, 1, 'the pipeline is ended once');
    assert.deepEqual(t.ws.closes, [{ code: 1000, reason: 'done' }]);
    assert.equal(t.registry.size, 0, 'removed from the registry');
    assert.equal(await metric(t, 'ser_sessions_total{outcome="completed"}'), '1');
    t.metrics.stop();
  });

  it('a ProtocolError from the pipeline ends the session with its code', async () => {
    const t = setup(new ProtocolError('bad_audio', 'expected finite samples, got NaN'));
    t.ws.text(START);
    t.ws.audio();
    await settle();
    await assertEndedWith(t, 'bad_audio');
    assert.equal(t.log.closed, 1, 'the pipeline is released');
    assert.equal(t.ws.sent.some((m) => m.type === 'summary'), false, 'no summary after a stream error');
  });

  it('dropUnread ends a started session with slow_consumer, then the socket is destroyed after a grace', async () => {
    const t = setup();
    t.ws.text(START);
    t.ws.audio();
    t.session.dropUnread(300_000);
    assert.equal(t.ws.terminated, false, 'the peer gets a moment to take the close frame');
    t.session.dropUnread(300_000); // a second verdict: nothing more
    assert.equal(await metric(t, 'ser_timeouts_total{kind="slow_consumer"}'), '1');
    await assertEndedWith(t, 'slow_consumer');
    const error = t.ws.sent.at(-1);
    assert.match(error?.type === 'error' ? error.message : '', /no pong for 300 s/);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    assert.equal(t.ws.terminated, true, 'then its buffers are released');
  });

  it('dropUnread before start ends with slow_consumer too', async () => {
    const t = setup();
    t.session.dropUnread(60_000);
    await assertEndedWith(t, 'slow_consumer');
  });
});
