/**
 * Shared helpers for the model tests: wasm engine, seeded random models held in memory,
 * random feature frames and the real speech fixtures turned into MFCC + voiced flags.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { extractFeatures } from '../../shared/dsp/feature_chain.js';
import { decodeWavToMono } from '../../shared/wav.js';
import { createModel, disposeModel, type ArchName, type Hyper } from '../../models/architectures/index.js';
import { selectEngine } from '../../models/engine.js';
import { toLoadedModel, type LoadedModel } from '../../models/io.js';
import type { FeatureNorm, ModelMeta } from '../../models/meta.js';
import { seededRandom } from '../../models/ops/init.js';
import { metaForModel } from '../../models/random_model.js';

export const SPEECH_FIXTURES = [
  '03-01-01-01-01-01-01.wav',
  '03-01-03-01-01-01-02.wav',
  '03-01-05-02-01-01-01.wav',
].map((name) => fileURLToPath(new URL(`../fixtures/speech/${name}`, import.meta.url)));

export async function useWasm(): Promise<void> {
  const engine = await selectEngine('wasm');
  if (engine !== 'wasm') throw new Error(`expected the wasm engine in tests, got ${engine}`);
}

/** A seeded random model as a LoadedModel (no disk). */
export function randomLoadedModel(
  seed: number,
  options: { arch?: ArchName; hyper?: Hyper; meta?: Partial<ModelMeta> } = {},
): LoadedModel {
  const model = createModel(options.arch ?? 'cnn-attn-lstm', options.hyper, seed);
  const loaded = toLoadedModel(metaForModel(model, options.meta), model.params);
  disposeModel(model);
  return loaded;
}

/** n × numCoeffs frames, uniform in ±scale, seeded. */
export function randomFrames(n: number, seed: number, numCoeffs = 20, scale = 20): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n * numCoeffs }, () => (random() * 2 - 1) * scale);
}

export interface ClipFeatures {
  frames: Float32Array;
  voiced: Uint8Array;
  count: number;
}

/** MFCC + VoicedGate decisions of a 16 kHz fixture (as the server computes them). */
export function clipFeatures(path: string): ClipFeatures {
  const { samples, sampleRateHz } = decodeWavToMono(new Uint8Array(readFileSync(path)));
  if (sampleRateHz !== 16_000) throw new Error(`expected a 16 kHz fixture, got ${sampleRateHz} Hz`);
  const { coeffs, voiced, count } = extractFeatures(samples, { inputRateHz: sampleRateHz });
  return { frames: coeffs, voiced, count };
}

/** Mean/std per coefficient of some frames, so random models see unit-scale inputs. */
export function normOf(frames: Float32Array, numCoeffs = 20): FeatureNorm {
  const n = frames.length / numCoeffs;
  const mean = new Array<number>(numCoeffs).fill(0);
  const sq = new Array<number>(numCoeffs).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < numCoeffs; j++) {
      const v = frames[i * numCoeffs + j]!;
      mean[j]! += v / n;
      sq[j]! += (v * v) / n;
    }
  }
  return { mean, std: mean.map((m, j) => Math.sqrt(Math.max(sq[j]! - m * m, 1e-6))) };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`expected equal lengths, got ${a.length} and ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

export function numTensors(): number {
  return tf.memory().numTensors;
}
