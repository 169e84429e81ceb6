/**
 * Child process of engine.test.ts: selects the engine SER_ENGINE names (forced; the parent
 * sets it), loads the shipped model and steps seeded random streams through the streaming
 * runner (stepBatch, as the server's worker does) at several batch sizes. Prints one JSON
 * line: the engine, the results of every call, and the live tensor count before and after.
 * Run in a fresh process because the tfjs backend is process-global.
 */
import * as tf from '@tensorflow/tfjs';
import { selectEngine, skippedEngines } from '../../models/engine.js';
import { loadModel } from '../../models/io.js';
import { DEFAULT_MODEL_DIR } from '../../models/registry.js';
import { createStreamState, stepBatch, type StepRequest } from '../../models/streaming/runner.js';
import { randomFrames } from './model_fixtures.js';

/** Streams per call, from one stream to a server's default maxBatchStreams. */
const BATCHES = [1, 8, 64];
/** Calls per batch size; each feeds every stream one 250 ms hop (25 frames at 10 ms). */
const HOPS = 6;
const HOP_FRAMES = 25;

const engine = await selectEngine();
const model = await loadModel(DEFAULT_MODEL_DIR);
const numCoeffs = model.meta.featureConfig.numCoeffs;
const request = (state: StepRequest['state'], seed: number): StepRequest => ({
  state,
  frames: randomFrames(HOP_FRAMES, seed, numCoeffs, 1),
  voiced: new Uint8Array(HOP_FRAMES).fill(1),
});
// The runner builds its weight tensors (plan.ts) on the first call: count from after it.
const warmup = createStreamState(model);
stepBatch(model, [request(warmup, 0)]);
warmup.dispose();
const tensorsBefore = tf.memory().numTensors;
const results: number[][] = [];
for (const batch of BATCHES) {
  const states = Array.from({ length: batch }, () => createStreamState(model));
  for (let hop = 0; hop < HOPS; hop++) {
    const requests = states.map((state, b) => request(state, 1000 * batch + 10 * b + hop + 1));
    for (const result of stepBatch(model, requests)) results.push(result.probs === null ? [] : Array.from(result.probs));
  }
  for (const state of states) state.dispose();
}
const tensorsAfter = tf.memory().numTensors;
process.stdout.write(`${JSON.stringify({ engine, skipped: skippedEngines(), tensorsBefore, tensorsAfter, results })}\n`);
