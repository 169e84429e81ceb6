/**
 * One inference worker as the main thread sees it (server/workers/slot.ts), against a stand-in
 * Worker: everything posted in a tick leaves as ONE message (audio packed back to back into
 * one transferred buffer); the worker's messages answer the streams (results, errors,
 * completions), the hooks and the stats waiters; a worker that errs or exits is reported,
 * and failing the slot ends its streams with WorkerFailedError.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { ProtocolError } from '../../../shared/error_codes.js';
import { VOICED_GATE_CONFIG } from '../../../shared/dsp/vad.js';
import type { EmotionMessage } from '../../../shared/protocol.js';
import type { FromWorker, ModelInfo, PipelineOpen, ToWorker, WorkerInit } from '../../../server/workers/messages.js';
import { WorkerFailedError, WorkerSlot, type PoolHooks } from '../../../server/workers/slot.js';
import type { EmotionResult } from '../../../server/pipeline/contract.js';

const INIT: WorkerInit = { modelDir: '/nowhere', engine: 'wasm', mode: 'streaming', maxBatchStreams: 8, batchWindowMs: 2 };

const MODEL: ModelInfo = {
  id: 'fake',
  narrowbandId: null,
  labels: ['calm', 'angry'],
  numCoeffs: 20,
  stepFrames: 8,
  windowSteps: 4,
  resetAfterSilenceFrames: 30,
  engine: 'wasm',
  engineSkipped: [],
  voicedGate: VOICED_GATE_CONFIG,
};

/** The parts of a worker_threads Worker a slot uses, recording what is posted to it. */
class FakeWorker extends EventEmitter {
  readonly posted: { message: ToWorker; transfer: readonly ArrayBuffer[] | undefined }[] = [];
  terminated = false;
  postMessage(message: ToWorker, transfer?: readonly ArrayBuffer[]): void {
    this.posted.push({ message, transfer });
  }
  terminate(): Promise<number> {
    this.terminated = true;
    return Promise.resolve(1);
  }
  /** As the worker thread would answer. */
  reply(message: FromWorker): void {
    this.emit('message', message);
  }
}

function setup(hooks: PoolHooks = {}) {
  const worker = new FakeWorker();
  const exits: string[] = [];
  // As the pool does (batcher.ts replace): a crashed worker's slot is failed.
  const slot = new WorkerSlot(INIT, hooks, (s, reason) => {
    exits.push(reason);
    s.fail(reason);
  }, () => worker as unknown as Worker);
  return { worker, slot, exits };
}

/** A stream's handlers, recording what reaches them. */
function handlers() {
  const seen = { results: [] as EmotionResult[], errors: [] as Error[], completed: 0 };
  return { seen, handlers: { next: (r: EmotionResult) => seen.results.push(r), error: (e: Error) => seen.errors.push(e), complete: () => (seen.completed += 1) } };
}

const open = (sessionId: string): PipelineOpen => ({ sessionId, encoding: 'pcm_s16le', channels: 1, inputRateHz: 16_000, hopMs: 250, smoothing: 0.5 });

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const result = (seq: number): EmotionResult => {
  const message: EmotionMessage = {
    type: 'emotion',
    seq,
    startMs: seq * 250,
    endMs: seq * 250 + 249,
    probs: { calm: 0.5, angry: 0.5 },
    top: 'calm',
    confidence: 0.5,
    voiced: true,
    arousal: 0,
    valence: 0,
  };
  return { message, arrivedAtMs: seq, hopEndMs: (seq + 1) * 250 };
};

describe('worker slot', () => {
  it('a tick’s opens, audio, ends and closes leave as one message, audio packed into one transferred buffer', async () => {
    const { worker, slot } = setup();
    slot.post('open', open('a'));
    slot.post('audio', { sessionId: 'a', bytes: Uint8Array.of(1, 2, 3), arrivedAtMs: 10 });
    slot.post('open', open('b'));
    slot.post('audio', { sessionId: 'b', bytes: Uint8Array.of(4, 5), arrivedAtMs: 11 });
    slot.post('audio', { sessionId: 'a', bytes: Uint8Array.of(6), arrivedAtMs: 12 });
    slot.post('end', { sessionId: 'a', endedAtMs: 13 });
    slot.post('close', 'b');
    assert.equal(worker.posted.length, 0, 'nothing leaves before the tick is over');
    await turn();

    assert.equal(worker.posted.length, 1, 'one message for the tick');
    const [{ message, transfer }] = worker.posted as [(typeof worker.posted)[number]];
    assert.ok(message.type === 'work', `expected a work message, got ${message.type}`);
    assert.deepEqual(message.opens.map((o) => o.sessionId), ['a', 'b']);
    assert.deepEqual(message.ends, [{ sessionId: 'a', endedAtMs: 13 }]);
    assert.deepEqual(message.closes, ['b']);
    assert.deepEqual(message.audio?.items, [
      { sessionId: 'a', byteLength: 3, arrivedAtMs: 10 },
      { sessionId: 'b', byteLength: 2, arrivedAtMs: 11 },
      { sessionId: 'a', byteLength: 1, arrivedAtMs: 12 },
    ]);
    assert.deepEqual([...(message.audio?.bytes ?? [])], [1, 2, 3, 4, 5, 6], 'audio back to back, in arrival order');
    assert.deepEqual(transfer, [message.audio?.bytes.buffer], 'the packed buffer is transferred');

    // A tick with no audio: a message without audio and nothing transferred.
    slot.post('close', 'a');
    await turn();
    assert.equal(worker.posted.length, 2, 'one more message for the next tick');
    const second = worker.posted[1];
    assert.deepEqual(second?.message, { type: 'work', opens: [], ends: [], closes: ['a'] });
    assert.equal(second?.transfer, undefined, 'nothing transferred without audio');
  });

  it('the worker’s messages answer: ready, results, errors, completions, hooks and stats', async () => {
    const calls: [number, number][] = [];
    const dsp: [number, number][] = [];
    const { worker, slot } = setup({ onModelCall: (s, t) => calls.push([s, t]), onDsp: (a, t) => dsp.push([a, t]) });
    worker.reply({ type: 'ready', model: MODEL });
    assert.deepEqual(await slot.ready, MODEL);
    assert.equal(slot.loaded, true, 'loaded once ready');

    const a = handlers();
    const b = handlers();
    const c = handlers();
    slot.pipelines.set('a', a.handlers);
    slot.pipelines.set('b', b.handlers);
    slot.pipelines.set('c', c.handlers);
    worker.reply({
      type: 'events',
      events: [
        { kind: 'result', sessionId: 'a', result: result(0) },
        { kind: 'result', sessionId: 'gone', result: result(0) },
        { kind: 'result', sessionId: 'a', result: result(1) },
        { kind: 'error', sessionId: 'b', code: 'bad_audio', message: 'expected finite samples' },
        { kind: 'complete', sessionId: 'a' },
        { kind: 'result', sessionId: 'c', result: result(0) },
      ],
      calls: [{ streams: 2, seconds: 0.004 }],
      dsp: { audioSeconds: 0.5, seconds: 0.001 },
    });

    assert.deepEqual(a.seen.results.map((r) => r.message.seq), [0, 1], 'a: its results in order');
    assert.equal(a.seen.completed, 1, 'a: completed');
    assert.equal(b.seen.errors.length, 1, 'b: one error');
    const [error] = b.seen.errors;
    assert.ok(error instanceof ProtocolError, `b: expected a ProtocolError, got ${String(error)}`);
    assert.equal(error.code, 'bad_audio');
    assert.equal(error instanceof WorkerFailedError, false, 'a stream error is not a worker loss');
    assert.deepEqual([c.seen.results.length, c.seen.errors.length, c.seen.completed], [1, 0, 0], 'c: one result, still open');
    assert.deepEqual([...slot.pipelines.keys()], ['c'], 'ended streams stop awaiting answers');
    assert.deepEqual(calls, [[2, 0.004]]);
    assert.deepEqual(dsp, [[0.5, 0.001]]);

    let stats: unknown;
    slot.statsWaiters.set(7, (s) => (stats = s));
    const memory = { heapUsedBytes: 3e6, externalBytes: 2e5, wasmBytes: 16_777_216 };
    worker.reply({ type: 'stats', requestId: 7, numTensors: 12, sessions: 1, ...memory });
    assert.deepEqual(stats, { numTensors: 12, sessions: 1, ...memory }, 'the worker figures, memory included, without the envelope');
    assert.equal(slot.statsWaiters.size, 0, 'the waiter is answered once');
  });

  for (const how of ['exit', 'error'] as const) {
    it(`a worker ${how} is reported; its streams fail with WorkerFailedError and the slot posts no more`, async () => {
      const { worker, slot, exits } = setup();
      worker.reply({ type: 'ready', model: MODEL });
      await slot.ready;
      const a = handlers();
      const b = handlers();
      slot.pipelines.set('a', a.handlers);
      slot.pipelines.set('b', b.handlers);
      let stats: unknown;
      slot.statsWaiters.set(1, (s) => (stats = s));
      slot.post('audio', { sessionId: 'a', bytes: Uint8Array.of(1), arrivedAtMs: 0 });

      if (how === 'exit') worker.emit('exit', 1);
      else worker.emit('error', new Error('out of memory'));

      assert.deepEqual(exits, [how === 'exit' ? 'exit code 1' : 'out of memory'], 'the crash is reported once');
      for (const [id, s] of [['a', a], ['b', b]] as const) {
        assert.equal(s.seen.errors.length, 1, `${id}: one error`);
        const [error] = s.seen.errors;
        assert.ok(error instanceof WorkerFailedError, `${id}: expected a WorkerFailedError, got ${String(error)}`);
        assert.equal(error.code, 'internal', `${id}: code`);
      }
      assert.equal(slot.pipelines.size, 0, 'no stream awaits the dead worker');
      assert.deepEqual(stats, { numTensors: 0, sessions: 0, heapUsedBytes: 0, externalBytes: 0, wasmBytes: 0 }, 'stats waiters are answered, empty');
      assert.equal(slot.alive, false, 'the slot is dead');
      await turn();
      assert.equal(worker.posted.length, 0, 'what was queued for the dead worker is not posted');
    });
  }

  it('a crash before ready rejects ready; init_failed rejects it and ends the worker', async () => {
    const crashed = setup();
    crashed.worker.emit('exit', 1);
    await assert.rejects(crashed.slot.ready, /exited with code 1/);
    assert.equal(crashed.slot.loaded, false, 'never loaded');

    const failed = setup();
    failed.worker.reply({ type: 'init_failed', message: 'no model.json' });
    await assert.rejects(failed.slot.ready, /could not load the model: no model.json/);
    assert.equal(failed.worker.terminated, true, 'the worker is ended so the pool sees an exit');
  });
});
