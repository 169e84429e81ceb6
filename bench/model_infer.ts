/**
 * Model inference throughput on the selected engine (wasm unless SER_ENGINE says otherwise),
 * with a randomly initialised model (speed does not depend on the weights): the default
 * architecture, or any size given with --hyper (as `npm run train` takes it).
 *
 *   node --import tsx bench/model_infer.ts [--seconds 2] [--batches 1,8,32,64,128] [--hyper lstmUnits=96,…]
 *
 * Streaming: every stream gets 250 ms of new frames (25 × 10 ms) per stepBatch call, as the
 * server's default hop delivers them; prints seconds of audio processed per wall second.
 * Offline: predictOffline over 3.5 s clips (a RAVDESS clip's length). Prints numbers only;
 * it asserts nothing. Besides wall time it prints throughput per CPU second of this process
 * (process.cpuUsage), which is the steadier figure on a shared machine: the runner is
 * single-threaded, so on an idle core the two agree.
 */
import * as tf from '@tensorflow/tfjs';
import { selectEngine } from '../models/engine.js';
import { createModel, disposeModel } from '../models/architectures/index.js';
import { flopsPerAudioSecond } from '../models/architectures/cnn_attn_lstm.js';
import { toLoadedModel } from '../models/io.js';
import { metaForModel } from '../models/random_model.js';
import { predictOffline } from '../models/streaming/offline.js';
import { createStreamState, stepBatch, type StepRequest } from '../models/streaming/runner.js';
import { parseHyper } from '../models/train/train.js';
import { mulberry32 } from '../shared/prng.js';

const FRAMES_PER_CALL = 25;
const FRAME_SECONDS = 0.01;
const F = 20;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const seconds = Number(arg('seconds', '2'));

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}
const batches = arg('batches', '1,8,32,64,128').split(',').map(Number);

/** n × F frames, uniform in ±scale, seeded. */
function randomFrames(n: number, seed: number, scale: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: n * F }, () => (random() * 2 - 1) * scale);
}

const engine = await selectEngine(process.env.SER_ENGINE === undefined ? 'wasm' : 'auto');
const trainable = createModel('cnn-attn-lstm', parseHyper(arg('hyper', '')), 1);
const model = toLoadedModel(metaForModel(trainable, { norm: { mean: new Array<number>(F).fill(0), std: new Array<number>(F).fill(1) } }), trainable.params);
disposeModel(trainable);
const chunk = randomFrames(FRAMES_PER_CALL * 64, 3, 1.5);
const voiced = new Uint8Array(FRAMES_PER_CALL).fill(1);

console.log(`engine ${engine}; model ${model.arch} ${JSON.stringify(model.hyper)}; ${(flopsPerAudioSecond(model.hyper) / 1e6).toFixed(2)} MFLOP per audio second; stepFrames ${model.meta.stepFrames} windowSteps ${model.meta.windowSteps}`);
console.log('mode        batch  calls  ms/call  audio s/s  audio s/cpu-s  (250 ms of new frames per stream per call)');
for (const batch of batches) {
  const states = Array.from({ length: batch }, () => createStreamState(model));
  // Offsets vary so streams sit at different phases of the step grid, as real streams do.
  const requests = (call: number): StepRequest[] =>
    states.map((state, s) => {
      const at = ((call + s) % 60) * F;
      return { state, frames: chunk.subarray(at, at + FRAMES_PER_CALL * F), voiced };
    });
  for (let call = 0; call < 5; call++) stepBatch(model, requests(call));
  let calls = 0;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  while (performance.now() - started < seconds * 1000) {
    stepBatch(model, requests(calls));
    calls++;
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuSecondsSince(cpuStarted);
  const audioSeconds = calls * batch * FRAMES_PER_CALL * FRAME_SECONDS;
  console.log(
    `streaming  ${String(batch).padStart(5)}  ${String(calls).padStart(5)}  ${((wallSeconds * 1000) / calls).toFixed(2).padStart(7)}  ${(audioSeconds / wallSeconds).toFixed(0).padStart(9)}  ${(audioSeconds / cpuSeconds).toFixed(0).padStart(13)}`,
  );
}

const clipFrames = 350;
const clip = randomFrames(clipFrames, 4, 1.5);
const clipVoiced = new Uint8Array(clipFrames).fill(1);
predictOffline(model, clip, clipVoiced);
let clips = 0;
const started = performance.now();
const cpuStarted = process.cpuUsage();
while (performance.now() - started < seconds * 1000) {
  predictOffline(model, clip, clipVoiced);
  clips++;
}
const wallSeconds = (performance.now() - started) / 1000;
const cpuSeconds = cpuSecondsSince(cpuStarted);
console.log(
  `offline    clip 3.5 s: ${((wallSeconds * 1000) / clips).toFixed(2)} ms/clip, ${(clips / wallSeconds).toFixed(1)} clips/s, ${((clips * clipFrames * FRAME_SECONDS) / wallSeconds).toFixed(0)} audio s/s, ${((clips * clipFrames * FRAME_SECONDS) / cpuSeconds).toFixed(0)} audio s/cpu-s`,
);

if (process.argv.includes('--profile')) {
  const states = Array.from({ length: 32 }, () => createStreamState(model));
  const profile = await tf.profile(() => {
    stepBatch(model, states.map((state) => ({ state, frames: chunk.subarray(0, FRAMES_PER_CALL * F), voiced })));
  });
  const counts = new Map<string, number>();
  for (const k of profile.kernels) counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
  console.log(`kernels per stepBatch call (batch 32): ${profile.kernels.length}`, Object.fromEntries(counts));
}
model.dispose();
