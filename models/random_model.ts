/**
 * Randomly initialised models saved like trained ones, for tests of everything downstream
 * of the model (server protocol tests, load tests) before trained weights exist.
 *
 *   node --import tsx models/random_model.ts [dir] [arch] [seed]
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, disposeModel, stepFramesOf, windowStepsOf, type ArchName, type Hyper, type Model } from './architectures/index.js';
import { selectEngine } from './engine.js';
import { saveModel } from './io.js';
import type { ModelMeta } from './meta.js';
import { RAVDESS_LABELS } from './registry.js';

/** Frames of silence (10 ms each) after which streams reset: 0.6 s, longer than a breath. */
export const DEFAULT_RESET_AFTER_SILENCE_FRAMES = 60;

/** Meta for a model, with placeholder normalisation (mean 0, std 10) unless given. */
export function metaForModel(model: Pick<Model, 'arch' | 'hyper'>, overrides: Partial<ModelMeta> = {}): ModelMeta {
  const numCoeffs = model.hyper.numCoeffs as number;
  return {
    id: `random-${model.arch}`,
    labels: RAVDESS_LABELS.slice(0, model.hyper.numClasses as number),
    sampleRateHz: 16_000,
    featureConfig: { numCoeffs, hopMs: 10 },
    norm: { mean: new Array<number>(numCoeffs).fill(0), std: new Array<number>(numCoeffs).fill(10) },
    arch: model.arch,
    hyper: model.hyper,
    stepFrames: stepFramesOf(model),
    windowSteps: windowStepsOf(model),
    resetAfterSilenceFrames: DEFAULT_RESET_AFTER_SILENCE_FRAMES,
    ...overrides,
  };
}

/**
 * Creates a random model and saves it into `dir` (default: a new temp dir). Returns the
 * directory and meta; load it with loadModel(dir). Calls selectEngine() (idempotent).
 */
export async function createRandomModel(
  arch: ArchName = 'cnn-attn-lstm',
  seed = 1,
  options: { dir?: string; hyper?: Hyper; meta?: Partial<ModelMeta> } = {},
): Promise<{ dir: string; meta: ModelMeta }> {
  await selectEngine();
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'ser-random-model-')));
  const model = createModel(arch, options.hyper, seed);
  const meta = metaForModel(model, options.meta);
  try {
    await saveModel(dir, meta, model.params);
  } finally {
    disposeModel(model);
  }
  return { dir, meta };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, arch, seed] = process.argv.slice(2);
  const result = await createRandomModel((arch ?? 'cnn-attn-lstm') as ArchName, seed === undefined ? 1 : Number(seed), dir === undefined ? {} : { dir });
  console.log(result.dir);
}
