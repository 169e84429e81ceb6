/**
 * The worker pool end to end through its own API (server/model/batcher.ts, slot.ts and the
 * worker behind them), without a server: hops of concurrent streams, batched in the worker,
 * give what the streaming runner gives each stream alone in this thread; naive mode gives
 * the clip model over each session's last window; stats see opens and closes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { selectEngine } from '../../../models/engine.js';
import { loadModel, type LoadedModel } from '../../../models/io.js';
import { createRandomModel } from '../../../models/random_model.js';
import { createStreamState, predictOffline, stepBatch } from '../../../models/streaming/runner.js';
import { naiveWindowFrames } from '../../../models/streaming/span.js';
import { mulberry32 } from '../../../shared/prng.js';
import { InferencePool } from '../../../server/model/batcher.js';
import type { WorkerInit } from '../../../server/model/messages.js';

/** Agreement between a batched call in the worker and a batch-1 call here. */
const TOLERANCE = 1e-5;

function randomHop(random: () => number, frames: number, numCoeffs: number): { frames: Float32Array; voiced: Uint8Array } {
  return {
    frames: Float32Array.from({ length: frames * numCoeffs }, () => (random() - 0.5) * 20),
    voiced: new Uint8Array(frames).fill(1),
  };
}

function assertClose(actual: Float32Array | null, expected: Float32Array | null, what: string): void {
  assert.equal(actual === null, expected === null, `${what}: null`);
  if (actual === null || expected === null) return;
  assert.equal(actual.length, expected.length);
  actual.forEach((p, i) => assert.ok(Math.abs(p - (expected[i] ?? Number.NaN)) <= TOLERANCE, `${what}[${i}]: ${p} vs ${expected[i]}`));
}

describe('inference pool', () => {
  let dir: string;
  let model: LoadedModel;
  before(async () => {
    ({ dir } = await createRandomModel('cnn-attn-lstm', 7));
    await selectEngine('auto');
    model = await loadModel(dir);
  });
  after(() => model.dispose());

  const start = (mode: WorkerInit['mode']): Promise<InferencePool> =>
    InferencePool.start({ modelDir: dir, engine: 'auto', mode, maxBatchStreams: 16, batchWindowMs: 2 }, 1);

  it('streaming: concurrent streams, batched in the worker, equal each stream run alone', async () => {
    const pool = await start('streaming');
    try {
      const numCoeffs = pool.model.numCoeffs;
      assert.equal(pool.model.stepFrames, model.meta.stepFrames);
      const streams = ['a', 'b', 'c'].map((id) => ({ handle: pool.open(id), state: createStreamState(model), random: mulberry32(id.charCodeAt(0)) }));
      for (const frames of [3, 25, 8, 40]) {
        const hops = streams.map((s) => randomHop(s.random, frames, numCoeffs));
        // All three in one tick: one message, one model call in the worker.
        const outcomes = await Promise.all(streams.map((s, i) => s.handle.step(hops[i]?.frames as Float32Array, hops[i]?.voiced as Uint8Array)));
        streams.forEach((s, i) => {
          const hop = hops[i] as { frames: Float32Array; voiced: Uint8Array };
          const [alone] = stepBatch(model, [{ state: s.state, frames: hop.frames, voiced: hop.voiced }]);
          assert.equal(outcomes[i]?.framesConsumed, alone?.framesConsumed);
          assertClose(outcomes[i]?.probs ?? null, alone?.probs ?? null, `stream ${i}, hop of ${frames}`);
        });
      }
      assert.equal((await pool.stats()).sessions, 3);
      for (const s of streams) s.handle.close();
      await new Promise((resolve) => setTimeout(resolve, 50)); // the closes leave with the next flush
      assert.equal((await pool.stats()).sessions, 0);
      assert.equal(pool.inFlight, 0);
    } finally {
      await pool.close();
    }
  });

  it('naive: each hop re-runs the clip model over the session’s last window', async () => {
    const pool = await start('naive');
    try {
      const numCoeffs = pool.model.numCoeffs;
      const windowFrames = naiveWindowFrames(model);
      const stream = pool.open('n');
      const random = mulberry32(3);
      const seen: Float32Array[] = [];
      for (const frames of [4, 60, windowFrames]) {
        const hop = randomHop(random, frames, numCoeffs);
        seen.push(hop.frames);
        const outcome = await stream.step(hop.frames, hop.voiced);
        const all = Float32Array.from(seen.flatMap((f) => [...f]));
        const rows = Math.min(windowFrames, all.length / numCoeffs);
        const expected = rows >= model.meta.stepFrames ? predictOffline(model, all.subarray(all.length - rows * numCoeffs), new Uint8Array(rows).fill(1)) : null;
        assert.equal(outcome.framesConsumed, all.length / numCoeffs);
        assertClose(outcome.probs, expected, `naive hop of ${frames}`);
      }
      stream.close();
    } finally {
      await pool.close();
    }
  });
});
