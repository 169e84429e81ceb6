/**
 * The architecture registry and the training-facing API: createModel, forward,
 * trainableVariables, disposeModel. Training, evaluation and the streaming runner all go
 * through these, so there is one definition of each network.
 */
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../ops/init.js';
import { cnnAttnLstm } from './cnn_attn_lstm.js';
import { conv1dArch } from './conv1d.js';
import { conv1dLstm } from './conv1d_lstm.js';
import { ensembleArchitecture, memberParamPrefix, memberSpecs } from './ensemble.js';
import { lstmArch } from './lstm.js';
import { hasStatsHead } from './stats_head.js';
import {
  ARCH_NAMES,
  type ArchName,
  type Architecture,
  type ForwardOptions,
  type Hyper,
  type Model,
  type ModelLike,
  type StatefulLayers,
  type StreamingKind,
} from './types.js';

export * from './types.js';

const ARCHITECTURES: Record<ArchName, Architecture> = {
  // The hand-fused runner of models/streaming/ (declared here, not in cnn_attn_lstm.ts,
  // while that file changes in parallel; it can move there).
  'cnn-attn-lstm': { ...cnnAttnLstm, streaming: 'fused-recurrent' },
  lstm: lstmArch,
  conv1d: conv1dArch,
  'conv1d-lstm': conv1dLstm,
  ensemble: ensembleArchitecture((arch) => getArchitecture(arch)),
};

export const DEFAULT_ARCH: ArchName = 'cnn-attn-lstm';

export function getArchitecture(arch: string): Architecture {
  if (!(ARCH_NAMES as readonly string[]).includes(arch)) {
    throw new Error(`arch: expected one of ${ARCH_NAMES.join(', ')}, got "${arch}"`);
  }
  return ARCHITECTURES[arch as ArchName];
}

/** Defaults overlaid with `overrides`, validated. */
export function resolveHyper(arch: ArchName, overrides: Hyper = {}): Hyper {
  const architecture = getArchitecture(arch);
  const hyper = { ...architecture.defaults, ...overrides };
  architecture.validate(hyper);
  return hyper;
}

/**
 * A freshly initialised trainable model. Every parameter is a tf.Variable named
 * `${arch}/${name}`; same arch + hyper + seed → same weights on every backend.
 */
export function createModel(arch: ArchName, hyper: Hyper = {}, seed = 1): Model {
  const resolved = resolveHyper(arch, hyper);
  const specs = getArchitecture(arch).init(resolved, seededRandom(seed));
  const params: Record<string, tf.Variable> = {};
  for (const [name, spec] of Object.entries(specs)) {
    params[name] = tf.variable(tf.tensor(spec.values, spec.shape, 'float32'), spec.trainable, undefined, 'float32');
  }
  return { arch, hyper: resolved, params };
}

/**
 * x: [B, T, F] normalised features (LEFT-padded, see ForwardOptions.validFrames) → logits
 * [B, numClasses]. Call inside tf.tidy / optimizer.minimize.
 */
export function forward(model: ModelLike, x: tf.Tensor3D, options: ForwardOptions = { training: false }): tf.Tensor2D {
  return getArchitecture(model.arch).forward(model, x, options);
}

/** Logits after every model step [B, S, C]; throws for architectures without it. */
export function forwardSteps(model: ModelLike, x: tf.Tensor3D, options: ForwardOptions = { training: false }): tf.Tensor3D {
  const architecture = getArchitecture(model.arch);
  if (architecture.forwardSteps === undefined) throw new Error(`per-step outputs: expected an architecture that has them, got ${model.arch}`);
  return architecture.forwardSteps(model, x, options);
}

/** Whether the architecture gives logits after every step (per-step loss). */
export function hasStepOutputs(arch: ArchName): boolean {
  return getArchitecture(arch).forwardSteps !== undefined;
}

/** How the streaming runner serves the architecture (Architecture.streaming, default 'window'). */
export function streamingKindOf(arch: ArchName): StreamingKind {
  return getArchitecture(arch).streaming ?? 'window';
}

/** The layers the 'stateful' runner steps (Architecture.statefulLayers); throws for other kinds. */
export function statefulLayersOf(model: Pick<ModelLike, 'arch' | 'hyper'>): StatefulLayers {
  const architecture = getArchitecture(model.arch);
  if (architecture.streaming !== 'stateful' || architecture.statefulLayers === undefined) {
    throw new Error(`stateful streaming: expected an architecture that declares statefulLayers, got ${model.arch}`);
  }
  return architecture.statefulLayers(model.hyper);
}

/**
 * The parameters whose outputs are logits (scaled by 1 / T in calibration): the dense
 * output layer, the stats head's when present, and for an ensemble every member's.
 */
export function logitParamsOf(model: Pick<ModelLike, 'arch' | 'hyper'>): string[] {
  if (model.arch === 'ensemble') {
    return memberSpecs(model.hyper).flatMap((member, i) => logitParamsOf(member).map((name) => `${memberParamPrefix(i)}${name}`));
  }
  return ['out.w', 'out.b', ...(hasStatsHead(model.hyper) ? ['stats.w', 'stats.b'] : [])];
}

/** Feature frames per model step (total time down-sampling). */
export function stepFramesOf(model: Pick<ModelLike, 'arch' | 'hyper'>): number {
  return getArchitecture(model.arch).stepFrames(model.hyper);
}

/** Steps the head pools over when streaming. */
export function windowStepsOf(model: Pick<ModelLike, 'arch' | 'hyper'>): number {
  return getArchitecture(model.arch).windowSteps(model.hyper);
}

/**
 * The variables an optimizer should update. Pass them as varList to optimizer.minimize /
 * tf.variableGrads: without a list tfjs takes every trainable variable in the process.
 */
export function trainableVariables(model: Model): tf.Variable[] {
  return Object.values(model.params).filter((v) => v.trainable);
}

export function disposeModel(model: ModelLike): void {
  for (const t of Object.values(model.params)) t.dispose();
}
