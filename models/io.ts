/**
 * Saves and loads models as three files: `meta.json` (ModelMeta), `model.json` (a tfjs
 * weights manifest) and `weights.bin`. Weights are created as tensors once at load and
 * shared by every stream. Node-only (fs).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getArchitecture, stepFramesOf, windowStepsOf, type ArchName, type Hyper, type ModelLike } from './architectures/index.js';
import { validateMeta, type ModelMeta } from './meta.js';
import { disposeMemberPlans } from './streaming/ensemble_members.js';
import { disposeStreamingPlan } from './streaming/plan.js';
import { disposeStatefulPlan } from './streaming/stateful_plan.js';

export const META_FILE = 'meta.json';
export const MANIFEST_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

/** A model ready for inference: constant weight tensors plus its meta. */
export interface LoadedModel extends ModelLike {
  meta: ModelMeta;
  /** Frees the weight tensors; the model is unusable afterwards. */
  dispose(): void;
}

interface Manifest {
  format: 'ser-weights';
  arch: ArchName;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** Checks meta against the architecture it names (stepFrames, windowSteps, input size). */
export function checkMetaMatchesArch(meta: ModelMeta): void {
  validateMeta(meta);
  const arch = getArchitecture(meta.arch);
  arch.validate(meta.hyper);
  const model = { arch: meta.arch, hyper: meta.hyper };
  if (stepFramesOf(model) !== meta.stepFrames) {
    throw new Error(`meta.stepFrames: expected ${stepFramesOf(model)} for ${meta.arch}, got ${meta.stepFrames}`);
  }
  if (windowStepsOf(model) !== meta.windowSteps) {
    throw new Error(`meta.windowSteps: expected ${windowStepsOf(model)} for ${meta.arch}, got ${meta.windowSteps}`);
  }
  if (meta.hyper.numCoeffs !== meta.featureConfig.numCoeffs) {
    throw new Error(`meta.hyper.numCoeffs: expected ${meta.featureConfig.numCoeffs}, got ${meta.hyper.numCoeffs}`);
  }
}

/** Writes meta.json, model.json and weights.bin into `dir` (created if missing). */
export async function saveModel(dir: string, meta: ModelMeta, params: Readonly<Record<string, tf.Tensor>>): Promise<void> {
  checkMetaMatchesArch(meta);
  const { data, specs } = await tf.io.encodeWeights(params as tf.NamedTensorMap);
  const manifest: Manifest = {
    format: 'ser-weights',
    arch: meta.arch,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
  };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, WEIGHTS_FILE), new Uint8Array(data));
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(join(dir, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
}

/** Wraps in-memory tensors (e.g. a model being trained) as a LoadedModel; copies them. */
export function toLoadedModel(meta: ModelMeta, params: Readonly<Record<string, tf.Tensor>>): LoadedModel {
  checkMetaMatchesArch(meta);
  const copies: Record<string, tf.Tensor> = {};
  for (const [name, t] of Object.entries(params)) copies[name] = tf.keep(tf.clone(t));
  return fromTensors(meta, copies);
}

function fromTensors(meta: ModelMeta, params: Record<string, tf.Tensor>): LoadedModel {
  const model: LoadedModel = {
    meta,
    arch: meta.arch,
    hyper: meta.hyper as Hyper,
    params,
    dispose() {
      disposeStreamingPlan(model);
      disposeStatefulPlan(model);
      disposeMemberPlans(model);
      for (const t of Object.values(params)) t.dispose();
    },
  };
  return model;
}

/** Reads a model saved by saveModel. Call selectEngine() first. */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const meta = JSON.parse(await readFile(join(dir, META_FILE), 'utf8')) as ModelMeta;
  checkMetaMatchesArch(meta);
  const manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
  const group = manifest.weightsManifest[0];
  if (manifest.format !== 'ser-weights' || group === undefined) {
    throw new Error(`${MANIFEST_FILE}: expected format "ser-weights" with one weights group, got ${manifest.format}`);
  }
  const bytes = await readFile(join(dir, group.paths[0] ?? WEIGHTS_FILE));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const params = tf.io.decodeWeights(buffer, group.weights) as Record<string, tf.Tensor>;
  const expected = Object.keys(getArchitecture(meta.arch).init(meta.hyper, () => 0.5));
  const missing = expected.filter((name) => params[name] === undefined);
  if (missing.length > 0) throw new Error(`${WEIGHTS_FILE}: expected parameters ${missing.join(', ')}, got none`);
  return fromTensors(meta, params);
}
