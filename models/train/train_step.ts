/**
 * One optimisation step and batched offline prediction, both over forward() from
 * models/architectures — the one definition of the network that streaming also uses.
 */
import * as tf from '@tensorflow/tfjs';
import { forward, forwardSteps, stepFramesOf, trainableVariables, type Model, type ModelLike } from '../architectures/index.js';
import { maskBatch, mixBatch, type MaskConfig } from './batch_regularize.js';
import { padBatch, planBatches, type Example, type PaddedBatch } from './batching.js';
import type { Prng } from './prng.js';

/** Moving-average momentum of batch-norm statistics, [0, 1). */
export const BATCH_NORM_MOMENTUM = 0.9;

export interface StepResult {
  loss: number;
  correct: number;
}

/** [B, S] 1 where step s of clip b holds real frames (clips are left-padded). */
function validStepMask(validFrames: Int32Array, steps: number, stepFrames: number): tf.Tensor2D {
  const values = new Float32Array(validFrames.length * steps);
  validFrames.forEach((frames, b) => {
    const valid = Math.min(steps, Math.ceil(frames / stepFrames));
    values.fill(1, b * steps + steps - valid, (b + 1) * steps);
  });
  return tf.tensor2d(values, [validFrames.length, steps]);
}

/**
 * Per-clip loss: (1 − w)·CE of the final result + w·mean CE over every step's result, where
 * w = `stepLossWeight` ∈ [0, 1]. w = 0 trains the end-of-clip answer only (model v1); w > 0
 * also trains what a live view shows after each step, from the first steps of speech on.
 */
function clipLosses(model: Model, x: tf.Tensor3D, batch: PaddedBatch, onehot: tf.Tensor2D, dropoutSeed: number, stepLossWeight: number): { ce: tf.Tensor1D; finalLogits: tf.Tensor2D } {
  const options = { training: true, seed: dropoutSeed, validFrames: batch.validFrames, voiced: batch.voiced, batchNormMomentum: BATCH_NORM_MOMENTUM };
  if (stepLossWeight === 0) {
    // batchNormMomentum: conv1d-lstm updates its moving statistics here; others ignore it.
    const finalLogits = forward(model, x, options);
    return { ce: tf.losses.softmaxCrossEntropy(onehot, finalLogits, undefined, undefined, tf.Reduction.NONE) as tf.Tensor1D, finalLogits };
  }
  const logits = forwardSteps(model, x, options);
  const [b, steps, classes] = logits.shape;
  const finalLogits = tf.reshape(tf.slice(logits, [0, steps - 1, 0], [b, 1, classes]), [b, classes]) as tf.Tensor2D;
  const last = tf.losses.softmaxCrossEntropy(onehot, finalLogits, undefined, undefined, tf.Reduction.NONE) as tf.Tensor1D;
  const perStep = tf.reshape(
    tf.losses.softmaxCrossEntropy(tf.reshape(tf.tile(tf.expandDims(onehot, 1), [1, steps, 1]), [b * steps, classes]), tf.reshape(logits, [b * steps, classes]), undefined, undefined, tf.Reduction.NONE),
    [b, steps],
  );
  const mask = validStepMask(batch.validFrames, steps, stepFramesOf(model));
  const stepMean = tf.div(tf.sum(tf.mul(perStep, mask), 1), tf.maximum(tf.sum(mask, 1), 1));
  return { ce: tf.add(tf.mul(last, 1 - stepLossWeight), tf.mul(stepMean, stepLossWeight)) as tf.Tensor1D, finalLogits };
}

export interface TrainStepOptions {
  /** Global gradient-norm clip, default 5. */
  clipNorm?: number;
  /** See TrainConfig.stepLossWeight; default 0. */
  stepLossWeight?: number;
  /** SpecAugment-style masks (training only); null/absent = none. */
  masks?: MaskConfig | null;
  /** Mixup Beta(α, α); 0/absent = none. */
  mixupAlpha?: number;
  /** Draws the masks and the mixup partners; required when either is on. */
  prng?: Prng;
  /**
   * Distillation: every example carries `soft` (the teachers' softened answer); each clip's
   * loss becomes (1 − weight)·its loss + weight·T²·CE(soft, softmax(final logits / T)).
   * Absent = labels only.
   */
  distill?: { weight: number; temperature: number } | null;
}

/** [B, C] soft targets of a batch, in the order padBatch keeps. */
function softTargets(examples: readonly Example[], numClasses: number): Float32Array {
  const out = new Float32Array(examples.length * numClasses);
  examples.forEach((e, b) => {
    if (e.soft === undefined || e.soft.length !== numClasses) throw new Error(`distillation: expected a soft target of ${numClasses} classes on every example, got ${e.soft?.length ?? 'none'}`);
    out.set(e.soft, b * numClasses);
  });
  return out;
}

/**
 * Class-weighted softmax cross-entropy (see clipLosses), Adam step with the gradients
 * clipped to a global norm of `clipNorm` (LSTMs over 40+ steps occasionally produce large
 * gradients early on). With mixup the targets and class weights are blended like the clips;
 * `correct` counts the clip's own (larger-share) label.
 */
export function trainStep(
  model: Model,
  optimizer: tf.Optimizer,
  examples: readonly Example[],
  classWeight: Float32Array,
  dropoutSeed: number,
  options: TrainStepOptions = {},
): StepResult {
  const { clipNorm = 5, stepLossWeight = 0, masks = null, mixupAlpha = 0, prng, distill = null } = options;
  const numCoeffs = model.hyper['numCoeffs'] as number;
  const numClasses = model.hyper['numClasses'] as number;
  const batch = padBatch(examples, numCoeffs);
  if ((masks !== null || mixupAlpha > 0) && prng === undefined) throw new Error('trainStep: masks and mixup need a prng');
  if (masks !== null) maskBatch(batch, masks, prng!);
  const mixed = mixupAlpha > 0 ? mixBatch(batch, mixupAlpha, prng!) : null;
  if (distill !== null && mixed !== null) throw new Error('trainStep: distillation and mixup do not mix (a blended clip has no teacher answer)');
  const taught = distill === null ? null : { ...distill, soft: softTargets(examples, numClasses) };
  const targets = new Float32Array(batch.batch * numClasses);
  const weights = new Float32Array(batch.batch);
  for (let b = 0; b < batch.batch; b += 1) {
    const own = batch.labels[b] as number;
    const l = mixed === null ? 1 : (mixed.lambda[b] as number);
    const other = mixed === null ? own : (batch.labels[mixed.partner[b] as number] as number);
    targets[b * numClasses + own] = (targets[b * numClasses + own] as number) + l;
    targets[b * numClasses + other] = (targets[b * numClasses + other] as number) + (1 - l);
    weights[b] = l * (classWeight[own] as number) + (1 - l) * (classWeight[other] as number);
  }
  const varList = trainableVariables(model);
  let correct = 0;
  const loss = tf.tidy(() => {
    const x = tf.tensor3d(batch.x, [batch.batch, batch.maxFrames, numCoeffs]);
    const onehot = tf.tensor2d(targets, [batch.batch, numClasses]);
    const w = tf.tensor1d(weights);
    const { value, grads } = tf.variableGrads(() => {
      const { ce: own, finalLogits } = clipLosses(model, x, batch, onehot, dropoutSeed, stepLossWeight);
      let ce = own;
      if (taught !== null) {
        const t = taught.temperature;
        const soft = tf.losses.softmaxCrossEntropy(tf.tensor2d(taught.soft, [batch.batch, numClasses]), tf.div(finalLogits, t), undefined, undefined, tf.Reduction.NONE);
        ce = tf.add(tf.mul(own, 1 - taught.weight), tf.mul(soft, taught.weight * t * t)) as tf.Tensor1D;
      }
      const pred = tf.argMax(finalLogits, 1).dataSync();
      correct = 0;
      for (let i = 0; i < batch.batch; i += 1) if (pred[i] === batch.labels[i]) correct += 1;
      return tf.div(tf.sum(tf.mul(ce, w)), tf.sum(w)) as tf.Scalar;
    }, varList);
    const names = Object.keys(grads);
    const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n] as tf.Tensor)))));
    const scale = tf.minimum(tf.scalar(1), tf.div(tf.scalar(clipNorm), tf.maximum(norm, tf.scalar(1e-6))));
    const clipped: tf.NamedTensorMap = {};
    for (const n of names) clipped[n] = tf.mul(grads[n] as tf.Tensor, scale);
    optimizer.applyGradients(clipped);
    return value;
  });
  const lossValue = loss.dataSync()[0] as number;
  loss.dispose();
  return { loss: lossValue, correct };
}

/** Softmax probabilities for every example (no dropout), batched by length. */
export function predictExamples(model: ModelLike, examples: readonly Example[], batchSize = 32): Float32Array[] {
  const numCoeffs = model.hyper['numCoeffs'] as number;
  const out: Float32Array[] = new Array<Float32Array>(examples.length);
  for (const idx of planBatches(examples.map((e) => e.frames), batchSize)) {
    const batch = padBatch(idx.map((i) => examples[i] as Example), numCoeffs);
    const probs = tf.tidy(() => {
      const x = tf.tensor3d(batch.x, [batch.batch, batch.maxFrames, numCoeffs]);
      return tf.softmax(forward(model, x, { training: false, validFrames: batch.validFrames, voiced: batch.voiced }));
    });
    const values = probs.dataSync() as Float32Array;
    const classes = probs.shape[1] as number;
    probs.dispose();
    idx.forEach((i, b) => {
      out[i] = values.slice(b * classes, (b + 1) * classes);
    });
  }
  return out;
}
