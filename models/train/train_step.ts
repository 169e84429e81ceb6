/**
 * One optimisation step and batched offline prediction, both over forward() from
 * models/architectures — the one definition of the network that streaming also uses.
 */
import * as tf from '@tensorflow/tfjs';
import { forward, trainableVariables, type Model, type ModelLike } from '../architectures/index.js';
import { padBatch, planBatches, type Example } from './batching.js';

/** Moving-average momentum of batch-norm statistics, [0, 1). */
export const BATCH_NORM_MOMENTUM = 0.9;

export interface StepResult {
  loss: number;
  correct: number;
}

/**
 * Class-weighted softmax cross-entropy, Adam step with the gradients clipped to a global
 * norm of `clipNorm` (LSTMs over 40+ steps occasionally produce large gradients early on).
 */
export function trainStep(
  model: Model,
  optimizer: tf.Optimizer,
  examples: readonly Example[],
  classWeight: Float32Array,
  dropoutSeed: number,
  clipNorm = 5,
): StepResult {
  const numCoeffs = model.hyper['numCoeffs'] as number;
  const numClasses = model.hyper['numClasses'] as number;
  const batch = padBatch(examples, numCoeffs);
  const weights = Float32Array.from(batch.labels, (y) => classWeight[y] as number);
  const varList = trainableVariables(model);
  let correct = 0;
  const loss = tf.tidy(() => {
    const x = tf.tensor3d(batch.x, [batch.batch, batch.maxFrames, numCoeffs]);
    const onehot = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), numClasses);
    const w = tf.tensor1d(weights);
    const { value, grads } = tf.variableGrads(() => {
      // batchNormMomentum: conv1d-lstm updates its moving statistics here; others ignore it.
      const logits = forward(model, x, { training: true, seed: dropoutSeed, validFrames: batch.validFrames, batchNormMomentum: BATCH_NORM_MOMENTUM });
      const pred = tf.argMax(logits, 1).dataSync();
      correct = 0;
      for (let i = 0; i < batch.batch; i += 1) if (pred[i] === batch.labels[i]) correct += 1;
      const ce = tf.losses.softmaxCrossEntropy(onehot, logits, undefined, undefined, tf.Reduction.NONE);
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
      return tf.softmax(forward(model, x, { training: false, validFrames: batch.validFrames }));
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
