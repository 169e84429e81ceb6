/**
 * Left-padding masks. Clips in a batch are left-padded to a common length; padded positions
 * must be exactly zero at every layer so the padded clip equals a fresh stream.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * [B, T, 1] mask at a resolution of T positions per clip, where each clip's last
 * ceil(validFrames[b] / framesPerPosition) positions are 1.
 */
export function leftPadMask(validFrames: ArrayLike<number>, positions: number, framesPerPosition: number): tf.Tensor3D {
  const batch = validFrames.length;
  const values = new Float32Array(batch * positions);
  for (let b = 0; b < batch; b++) {
    const valid = Math.min(positions, Math.ceil(validFrames[b]! / framesPerPosition));
    values.fill(1, b * positions + positions - valid, (b + 1) * positions);
  }
  return tf.tensor3d(values, [batch, positions, 1]);
}

/** The mask as S per-step [B, 1] tensors, for the LSTM loop (split time-major: see lstm.ts). */
export function stepMasks(mask: tf.Tensor3D): tf.Tensor2D[] {
  return tf.unstack(tf.transpose(mask, [1, 0, 2]), 0) as tf.Tensor2D[];
}

/** Validates validFrames against a batch of T frames. */
export function checkValidFrames(validFrames: ArrayLike<number>, batch: number, frames: number): void {
  if (validFrames.length !== batch) {
    throw new Error(`validFrames: expected ${batch} entries, got ${validFrames.length}`);
  }
  for (let b = 0; b < batch; b++) {
    const v = validFrames[b]!;
    if (!Number.isInteger(v) || v < 0 || v > frames) {
      throw new Error(`validFrames[${b}]: expected an integer in [0, ${frames}], got ${v}`);
    }
  }
}
