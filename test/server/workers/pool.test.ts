/**
 * The worker pool end to end through its own API (server/workers/batcher.ts, slot.ts and the
 * worker behind them), without a server: streams opened together run their whole pipeline
 * in the worker, their model steps batched across streams, and give what each stream's
 * pipeline gives alone in this thread with its model stepped batch 1 (streaming), or the
 * clip model over its last window (naive); every result carries this thread's clock; stats
 * see opens and closes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lastValueFrom, of, toArray } from 'rxjs';
import { selectEngine } from '../../../models/engine.js';
import { loadModel, type LoadedModel } from '../../../models/io.js';
import { voicedGateOf } from '../../../models/meta.js';
import { segmentRuleOf } from '../../../models/streaming/segment.js';
import { createRandomModel } from '../../../models/random_model.js';
import type { ServerMode } from '../../../server/config.js';
import { InferencePool } from '../../../server/workers/batcher.js';
import type { PipelineOpen } from '../../../server/workers/messages.js';
import { ModelStreams } from '../../../server/workers/model_streams.js';
import type { EmotionResult, InferenceStream, StepOutcome } from '../../../server/pipeline/contract.js';
import { audioToResults } from '../../../server/pipeline/index.js';
import { FIXTURES, assertResultsClose, readWavPcm } from '../../helpers/server.js';

/** Agreement between batched calls in the worker and batch-1 calls here, after smoothing and rounding. */
const TOLERANCE = 1e-5;
const CHUNK_BYTES = 3_200;

const openOf = (sessionId: string): PipelineOpen => ({ sessionId, encoding: 'pcm_s16le', channels: 1, inputRateHz: 16_000, hopMs: 250, smoothing: 0.5 });

/** A stream through the pool: its audio pushed in chunks stamped with this thread's clock, then `end`. */
function throughPool(pool: InferencePool, sessionId: string, bytes: Uint8Array) {
  const results: EmotionResult[] = [];
  const arrivals = new Set<number>();
  const settle = { resolve: (): void => undefined, reject: (_err: Error): void => undefined };
  const done = new Promise<void>((resolve, reject) => Object.assign(settle, { resolve, reject }));
  const handle = pool.openPipeline(openOf(sessionId), { next: (r) => results.push(r), error: (err) => settle.reject(err), complete: () => settle.resolve() });
  for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) {
    const arrivedAtMs = performance.now();
    arrivals.add(arrivedAtMs);
    handle.push({ bytes: bytes.subarray(offset, offset + CHUNK_BYTES), arrivedAtMs });
  }
  const endedAtMs = performance.now();
  handle.end(endedAtMs);
  return { results, arrivals, endedAtMs, done, handle };
}

/** The same stream's pipeline in this thread, its model state stepped one request at a time. */
function alone(model: LoadedModel, mode: ServerMode, bytes: Uint8Array): Promise<EmotionResult[]> {
  const states = new ModelStreams(model, null, mode);
  states.create('alone');
  const { meta } = model;
  const stream: InferenceStream = {
    sessionId: 'alone',
    stepRule: mode === 'streaming' ? { stepFrames: meta.stepFrames, ...segmentRuleOf(meta) } : undefined,
    numCoeffs: meta.featureConfig.numCoeffs,
    step: (frames, voiced) => new Promise<StepOutcome>((resolve, reject) => void states.round([{ sessionId: 'alone', frames, voiced, resolve, reject }])),
    close: () => states.release('alone'),
  };
  const params = { ...openOf('alone'), labels: meta.labels, voicedGate: voicedGateOf(meta), stream };
  return lastValueFrom(of({ bytes, arrivedAtMs: 0 }).pipe(audioToResults(params), toArray())).finally(() => stream.close());
}

describe('inference pool', () => {
  let dir: string;
  let model: LoadedModel;
  let clips: Uint8Array[];
  before(async () => {
    ({ dir } = await createRandomModel('cnn-attn-lstm', 7));
    await selectEngine('auto');
    model = await loadModel(dir);
    // Two seconds of each fixture: speech, pauses, several hops.
    clips = (await Promise.all([FIXTURES.angry, FIXTURES.happy, FIXTURES.neutral].map(readWavPcm))).map((c) => c.data.subarray(0, 64_000));
  });
  after(() => model.dispose());

  const start = (mode: ServerMode): Promise<InferencePool> =>
    InferencePool.start({ modelDir: dir, engine: 'auto', mode, maxBatchStreams: 16, batchWindowMs: 2 }, 1);

  for (const mode of ['streaming', 'naive'] as const) {
    it(`${mode}: concurrent streams, batched in the worker, equal each stream run alone here`, async () => {
      const pool = await start(mode);
      try {
        const streams = clips.map((bytes, i) => throughPool(pool, `s${i}`, bytes));
        await Promise.all(streams.map((s) => s.done));
        for (const [i, s] of streams.entries()) {
          const expected = await alone(model, mode, clips[i] as Uint8Array);
          assert.ok(expected.length > 4 && expected.some((r) => r.message.voiced), 'several hops, some voiced');
          assertResultsClose(
            s.results.map((r) => r.message),
            expected.map((r) => r.message),
            `${mode} stream ${i}`,
            TOLERANCE,
          );
          const final = s.results.at(-1);
          assert.equal(final?.arrivedAtMs, s.endedAtMs, 'the final hop arrives when the input ended, on this clock');
          assert.ok(s.results.slice(0, -1).every((r) => s.arrivals.has(r.arrivedAtMs)), 'the others when their audio arrived');
        }
        assert.equal(pool.inFlight, 0, 'completed streams are no longer awaited');
        assert.equal((await pool.stats()).sessions, 3, 'their model state lives until close');
        for (const s of streams) s.handle.close();
        await new Promise((resolve) => setTimeout(resolve, 50)); // the closes leave with the next flush
        assert.equal((await pool.stats()).sessions, 0);
      } finally {
        await pool.close();
      }
    });
  }

  it('streaming: a model with a segment cap (meta.maxSegmentFrames) is cut in the worker as here, and the cap changes the results', async () => {
    const capped = await createRandomModel('cnn-attn-lstm', 7, { meta: { maxSegmentFrames: 40 } });
    const cappedModel = await loadModel(capped.dir);
    const pool = await InferencePool.start({ modelDir: capped.dir, engine: 'auto', mode: 'streaming', maxBatchStreams: 16, batchWindowMs: 2 }, 1);
    try {
      const s = throughPool(pool, 'capped', clips[0] as Uint8Array);
      await s.done;
      const expected = await alone(cappedModel, 'streaming', clips[0] as Uint8Array);
      assertResultsClose(s.results.map((r) => r.message), expected.map((r) => r.message), 'capped stream', TOLERANCE);
      const uncapped = await alone(model, 'streaming', clips[0] as Uint8Array);
      const differs = expected.some((r, i) => r.message.voiced && JSON.stringify(r.message.probs) !== JSON.stringify(uncapped[i]?.message.probs));
      assert.ok(differs, 'a 0.4 s cap starts new segments inside the speech, so some voiced hop differs from the uncapped model');
      s.handle.close();
    } finally {
      await pool.close();
      cappedModel.dispose();
    }
  });
});
