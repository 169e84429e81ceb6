/**
 * The inference worker (server/workers/worker.ts) as a thread, spoken to in its own messages
 * without a pool: it loads a small random model and says ready; one stream's open, audio,
 * end and close answer its results and its completion, with the model calls and DSP time
 * that made them; after the close no stream is left. Its parts (shard, scheduler, rounds,
 * outbox) have tests of their own; this checks they are wired in the order the message states.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { createRandomModel } from '../../../models/random_model.js';
import type { FromWorker, PipelineEvent, ToWorker } from '../../../server/workers/messages.js';
import { spawnInferenceWorker } from '../../../server/workers/spawn.js';
import { speechLike } from '../../helpers/fake_model.js';

/** The worker's messages as they come, and a way to wait for one that matches. */
class Inbox {
  readonly messages: FromWorker[] = [];
  private waiters: (() => void)[] = [];
  constructor(worker: Worker) {
    worker.on('message', (message: FromWorker) => {
      this.messages.push(message);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }
  async until(done: (messages: readonly FromWorker[]) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.messages)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${what} within ${timeoutMs} ms, got ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

const eventsOf = (messages: readonly FromWorker[]): PipelineEvent[] => messages.flatMap((m) => (m.type === 'events' ? m.events : []));

describe('inference worker', () => {
  let worker: Worker;
  let inbox: Inbox;
  let dir: string;
  before(async () => {
    ({ dir } = await createRandomModel('cnn-attn-lstm', 5));
    worker = spawnInferenceWorker({ modelDir: dir, engine: 'wasm', mode: 'streaming', maxBatchStreams: 4, batchWindowMs: 2 });
    inbox = new Inbox(worker);
  });
  after(async () => {
    await worker.terminate();
    await rm(dir, { recursive: true, force: true });
  });

  it('open → audio → end answers results and completion; after close no stream is left', async () => {
    await inbox.until((ms) => ms.some((m) => m.type === 'ready' || m.type === 'init_failed'), 'ready');
    const ready = inbox.messages.find((m) => m.type === 'ready' || m.type === 'init_failed');
    assert.ok(ready?.type === 'ready', `expected ready, got ${JSON.stringify(ready)}`);
    assert.equal(ready.model.engine, 'wasm');

    const bytes = speechLike(); // 1.2 s at 16 kHz: four or five 250 ms hops
    const post = (message: ToWorker, transfer: ArrayBuffer[] = []): void => worker.postMessage(message, transfer);
    post({ type: 'work', opens: [{ sessionId: 's', encoding: 'pcm_s16le', channels: 1, inputRateHz: 16_000, hopMs: 250, smoothing: 0.5 }], ends: [], closes: [] });
    const half = bytes.length / 2;
    const packed = bytes.slice();
    post(
      {
        type: 'work',
        opens: [],
        audio: { items: [{ sessionId: 's', byteLength: half, arrivedAtMs: 1 }, { sessionId: 's', byteLength: bytes.length - half, arrivedAtMs: 2 }], bytes: packed },
        ends: [{ sessionId: 's', endedAtMs: 3 }],
        closes: [],
      },
      [packed.buffer],
    );
    await inbox.until((ms) => eventsOf(ms).some((e) => e.kind !== 'result'), 'the stream to end');

    const events = eventsOf(inbox.messages);
    assert.deepEqual(events.filter((e) => e.kind !== 'result'), [{ kind: 'complete', sessionId: 's' }], 'completed, no error');
    const results = events.flatMap((e) => (e.kind === 'result' ? [e.result] : []));
    assert.ok(results.length >= 4, `expected a result per hop and a final one, got ${results.length}`);
    assert.deepEqual(results.map((r) => r.message.seq), results.map((_, i) => i), 'results in order');
    assert.ok(results.every((r) => [1, 2, 3].includes(r.arrivedAtMs)), 'each result carries the main thread’s clock');
    const sent = inbox.messages.flatMap((m) => (m.type === 'events' ? [m] : []));
    assert.ok(sent.some((m) => m.calls.length > 0), 'model calls are reported');
    const audioSeconds = sent.reduce((s, m) => s + m.dsp.audioSeconds, 0);
    assert.ok(Math.abs(audioSeconds - 1.2) < 1e-6, `expected 1.2 s of audio through the pipeline, got ${audioSeconds}`);

    post({ type: 'work', opens: [], ends: [], closes: ['s'] });
    post({ type: 'stats', requestId: 1 });
    await inbox.until((ms) => ms.some((m) => m.type === 'stats'), 'stats');
    const stats = inbox.messages.find((m) => m.type === 'stats');
    assert.ok(stats?.type === 'stats', 'stats answered');
    assert.deepEqual({ requestId: stats.requestId, sessions: stats.sessions }, { requestId: 1, sessions: 0 }, 'no stream left after the close');
  });
});
