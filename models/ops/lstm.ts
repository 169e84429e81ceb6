/**
 * LSTM with fused gates (order i, f, o, g): the inputs of all steps are projected with one
 * matMul, then each step costs one recurrent matMul plus a few element-wise ops. tfjs op
 * dispatch (~40 µs each on wasm) dominates at these sizes, so the step keeps ops few.
 */
import * as tf from '@tensorflow/tfjs';

export interface LstmWeights {
  /** [In, 4H] input kernel. */
  wx: tf.Tensor2D;
  /** [H, 4H] recurrent kernel. */
  wh: tf.Tensor2D;
  /** [4H] bias. */
  b: tf.Tensor1D;
}

/** One step from a projected input xp [B, 4H]; returns the new [h, c]. */
export function lstmStep(
  xp: tf.Tensor2D,
  h: tf.Tensor2D,
  c: tf.Tensor2D,
  wh: tf.Tensor2D,
): [tf.Tensor2D, tf.Tensor2D] {
  const units = wh.shape[0];
  const batch = xp.shape[0];
  const z = tf.add(xp, tf.matMul(h, wh));
  const sig = tf.sigmoid(tf.slice(z, [0, 0], [batch, 3 * units]));
  const g = tf.tanh(tf.slice(z, [0, 3 * units], [batch, units]));
  const [i, f, o] = tf.split(sig, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const cNext: tf.Tensor2D = tf.add(tf.mul(f, c), tf.mul(i, g));
  const hNext: tf.Tensor2D = tf.mul(o, tf.tanh(cNext));
  return [hNext, cNext];
}

export interface LstmRun {
  /** Per-step hidden outputs, S tensors [B, H]. */
  hs: tf.Tensor2D[];
  /** Per-step cell states, S tensors [B, H]. */
  cs: tf.Tensor2D[];
}

/**
 * Runs one step per projected input (each [B, 4H]). `stepMask` (S tensors [B, 1] of 0/1,
 * optional) zeroes the state where the step is left padding, so the first real step starts
 * from exactly the zero state.
 */
export function lstmRun(
  inputs: tf.Tensor2D[],
  wh: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  stepMask?: tf.Tensor2D[],
): LstmRun {
  const hs: tf.Tensor2D[] = [];
  const cs: tf.Tensor2D[] = [];
  let h = h0;
  let c = c0;
  inputs.forEach((xp, s) => {
    const next = lstmStep(xp, h, c, wh);
    h = next[0];
    c = next[1];
    const m = stepMask?.[s];
    if (m !== undefined) {
      h = tf.mul<tf.Tensor2D>(h, m);
      c = tf.mul<tf.Tensor2D>(c, m);
    }
    hs.push(h);
    cs.push(c);
  });
  return { hs, cs };
}

/**
 * Full sequence from zero state: x [B, S, In] → outputs [B, S, H]. Works time-major inside:
 * on wasm, slicing or stacking along a middle axis costs orders of magnitude more than along
 * the leading one (in the forward pass and again in its gradient), so the inputs are
 * transposed once to [S, B, In] and the outputs once back.
 */
export function lstmSequence(x: tf.Tensor3D, w: LstmWeights, stepMask?: tf.Tensor2D[]): tf.Tensor3D {
  const [batch, steps, inputs] = x.shape;
  const units = w.wh.shape[0];
  const timeMajor = tf.reshape(tf.transpose(x, [1, 0, 2]), [steps * batch, inputs]) as tf.Tensor2D;
  const xp = tf.fused.matMul({ a: timeMajor, b: w.wx, bias: w.b });
  // One step: a reshape, not unstack — tfjs's Unpack gradient fails on a single output
  // ("Argument tensors passed to stack must be a Tensor[]"), e.g. a batch of 80 ms clips.
  const perStep = steps === 1 ? [tf.reshape(xp, [batch, 4 * units]) as tf.Tensor2D] : (tf.unstack(tf.reshape(xp, [steps, batch, 4 * units]), 0) as tf.Tensor2D[]);
  const zeros = tf.zeros([batch, units]) as tf.Tensor2D;
  const { hs } = lstmRun(perStep, w.wh, zeros, zeros, stepMask);
  return tf.transpose(tf.stack(hs, 0), [1, 0, 2]) as tf.Tensor3D;
}
