/**
 * Types shared by every architecture. A model is plain data — name, hyper-parameters and a
 * flat map of named tensors — so one definition serves training (variables + optimizer),
 * offline inference and the streaming runner.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ParamSpec } from '../ops/init.js';

/** The architectures a training run builds. */
export const NETWORK_ARCH_NAMES = ['cnn-attn-lstm', 'lstm', 'conv1d', 'conv1d-lstm'] as const;
/** Every architecture a saved model may name: the networks, and ensembles of them (ensemble.ts). */
export const ARCH_NAMES = [...NETWORK_ARCH_NAMES, 'ensemble'] as const;
export type ArchName = (typeof ARCH_NAMES)[number];

/**
 * How the streaming runner (models/streaming/runner.ts) serves an architecture. All three
 * are exact: after every call a stream's result equals predictOffline on the same frames.
 * - 'fused-recurrent': the hand-fused stateful runner of models/streaming/ (plan.ts,
 *   fused_runner.ts, batch_conv.ts, batch_recurrent.ts, head.ts), written for cnn-attn-lstm's
 *   shape: strided causal convs, one LSTM, attention over a rolling window.
 * - 'stateful': stateful stepping of the layers the architecture lists in statefulLayers
 *   (causal convs with inference batch-norm, ReLU and max-pool; stacked LSTMs; the dense
 *   head on the last output), models/streaming/stateful_runner.ts. Each stream keeps conv
 *   contexts and LSTM h/c and brings only its new steps; the state carries over the whole
 *   segment (no span bound, like 'fused-recurrent'). For recurrent models: lstm, conv1d-lstm.
 * - 'window': window recompute, for clip-level models (conv1d's global average pool). Each
 *   stream keeps the normalised frames of its current segment (the newest training span of
 *   them, models/streaming/span.ts), and every call in which it completes a step re-runs
 *   forward() over them, batched across streams: one full pass per step. Works for any
 *   forward() that masks left padding.
 * - 'ensemble': the members of an ensemble (ensemble.ts), each stepped by its own runner on
 *   the same frames (models/streaming/ensemble_runner.ts); the result is the softmax of the
 *   mean of the members' log-probabilities, as forward() averages their logits.
 */
export type StreamingKind = 'fused-recurrent' | 'stateful' | 'window' | 'ensemble';

/** One causal conv block of a 'stateful' architecture, by parameter name. */
export interface StatefulConvLayer {
  /** Parameters `${name}.w` [kernel, Cin, Cout] and `${name}.b` [Cout]; stride 1. */
  name: string;
  kernel: number;
  /** Inference batch-norm after the conv: parameters `${prefix}.gamma/beta/movingMean/movingVariance`, or null. */
  batchNorm: string | null;
  /** Max-pool size after the ReLU (1: none). */
  pool: number;
}

/**
 * The network a 'stateful' architecture steps: conv blocks (conv → batch-norm → ReLU →
 * max-pool), then stacked LSTMs (`${prefix}.wx/wh/b`), then the dense head (dense1, out;
 * common.ts) on the last LSTM output. With no conv block the LSTM's step input is the
 * step's stepFrames frames stacked into one row (lstm's frameStride); with conv blocks their
 * pools must reduce stepFrames frames to one row.
 */
export interface StatefulLayers {
  conv: StatefulConvLayer[];
  lstm: string[];
}

/** Hyper-parameters: numbers and integer lists only, so they round-trip through JSON. */
export type Hyper = Record<string, number | number[]>;

/** Anything forward() can run: trainable variables or loaded constant tensors. */
export interface ModelLike {
  arch: ArchName;
  hyper: Hyper;
  params: Readonly<Record<string, tf.Tensor>>;
}

/** A trainable model: every parameter is a tf.Variable. */
export interface Model extends ModelLike {
  params: Record<string, tf.Variable>;
}

export interface ForwardOptions {
  /** Enables dropout (and batch statistics for batch-norm). */
  training: boolean;
  /** Dropout seed; successive layers derive their own seeds from it. */
  seed?: number;
  /**
   * Valid frames per clip, counted from the END of the time axis: clips are LEFT-padded to a
   * common length T, and frames [T - validFrames[b], T) of clip b are real. Padded frames are
   * masked to exactly zero at every layer so a padded clip gives what streaming gives for
   * the same frames from a fresh state. Default: every frame valid. Keep T and every
   * validFrames[b] a multiple of the architecture's stepFrames.
   */
  validFrames?: ArrayLike<number>;
  /**
   * VoicedGate flags of the frames, B × T row-major, left-padded like x (padding 0). The stats
   * head (stats_head.ts) pools only voiced frames, as the streaming runner does; without
   * them it pools every valid frame. Other layers ignore it.
   */
  voiced?: ArrayLike<number>;
  /**
   * Batch-norm moving-average momentum in [0, 1) (conv1d-lstm only). When set and `training`,
   * forward() also updates the moving mean/variance variables in place. Default: not updated.
   */
  batchNormMomentum?: number;
  /**
   * Per clip of a batch of ONE: the stats head reads shift + scale · u instead of its
   * statistics u (the speaker reference of models/streaming/speaker_reference.ts, built from
   * the clip's earlier segments). Absent: u as it is.
   */
  statsAffine?: { scale: ArrayLike<number>; shift: ArrayLike<number> };
}

/** One parameter as created by an architecture's init (defined beside the initialisers, ops/init.ts). */
export type { ParamSpec };

export interface Architecture {
  name: ArchName;
  /** Default hyper-parameters; createModel merges overrides over these. */
  defaults: Hyper;
  /** Throws "expected X, got Y" for inconsistent hyper-parameters. */
  validate(hyper: Hyper): void;
  /** Feature frames per output step (total time down-sampling). */
  stepFrames(hyper: Hyper): number;
  /** Steps pooled by the head for streaming (architectures without a window: 1). */
  windowSteps(hyper: Hyper): number;
  /** Freshly initialised parameters from a seeded generator. */
  init(hyper: Hyper, random: () => number): Record<string, ParamSpec>;
  /** x: [B, T, F] normalised features → logits [B, numClasses]. */
  forward(model: ModelLike, x: tf.Tensor3D, options: ForwardOptions): tf.Tensor2D;
  /**
   * x: [B, T, F] → logits after EVERY model step [B, T / stepFrames, numClasses]: what the
   * streaming runner would report at each step (the last equals forward()). Lets training put
   * a loss on every live result, not only the last. Absent: final-step training only.
   */
  forwardSteps?(model: ModelLike, x: tf.Tensor3D, options: ForwardOptions): tf.Tensor3D;
  /** How it streams (see StreamingKind). Absent: 'window', which works for every forward(). */
  streaming?: StreamingKind;
  /** The layers the 'stateful' runner steps; required when streaming is 'stateful'. */
  statefulLayers?(hyper: Hyper): StatefulLayers;
}

/** Reads an integer hyper-parameter, failing loudly when it is missing or a list. */
export function hyperInt(hyper: Hyper, name: string): number {
  const value = hyper[name];
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new Error(`hyper.${name}: expected an integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Reads a numeric (possibly fractional) hyper-parameter. */
export function hyperNum(hyper: Hyper, name: string): number {
  const value = hyper[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`hyper.${name}: expected a number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Reads a list-of-integers hyper-parameter. */
export function hyperList(hyper: Hyper, name: string): number[] {
  const value = hyper[name];
  if (!Array.isArray(value) || value.some((v) => !Number.isInteger(v))) {
    throw new Error(`hyper.${name}: expected a list of integers, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Reads a tensor parameter by name. */
export function param(model: ModelLike, name: string): tf.Tensor {
  const t = model.params[name];
  if (t === undefined) throw new Error(`expected parameter "${name}" in ${model.arch} model, got none`);
  return t;
}
