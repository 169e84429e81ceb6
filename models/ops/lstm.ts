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

/** x: [B, S, In] → [B, S, 4H] input projections (bias included). */
export function projectInputs(x: tf.Tensor3D, w: LstmWeights): tf.Tensor3D {
  const [b, s, n] = x.shape;
  const fourH = w.wx.shape[1];
  const y = tf.fused.matMul({ a: tf.reshape(x, [b * s, n]), b: w.wx, bias: w.b });
  return tf.reshape(y, [b, s, fourH]);
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
 * Runs S steps. `stepMask` (S tensors [B, 1] of 0/1, optional) zeroes the state where the
 * step is left padding, so the first real step starts from exactly the zero state.
 */
export function lstmRun(
  xp: tf.Tensor3D,
  wh: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  stepMask?: tf.Tensor2D[],
): LstmRun {
  const steps = xp.shape[1];
  const inputs = tf.unstack(xp, 1) as tf.Tensor2D[];
  const hs: tf.Tensor2D[] = [];
  const cs: tf.Tensor2D[] = [];
  let h = h0;
  let c = c0;
  for (let s = 0; s < steps; s++) {
    const next = lstmStep(inputs[s]!, h, c, wh);
    h = next[0];
    c = next[1];
    const m = stepMask?.[s];
    if (m !== undefined) {
      h = tf.mul<tf.Tensor2D>(h, m);
      c = tf.mul<tf.Tensor2D>(c, m);
    }
    hs.push(h);
    cs.push(c);
  }
  return { hs, cs };
}

/** Full sequence from zero state: x [B, S, In] → outputs [B, S, H]. */
export function lstmSequence(x: tf.Tensor3D, w: LstmWeights, stepMask?: tf.Tensor2D[]): tf.Tensor3D {
  const batch = x.shape[0];
  const units = w.wh.shape[0];
  const zeros = tf.zeros([batch, units]) as tf.Tensor2D;
  const { hs } = lstmRun(projectInputs(x, w), w.wh, zeros, zeros, stepMask);
  return tf.stack(hs, 1) as tf.Tensor3D;
}
