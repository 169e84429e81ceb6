/**
 * The tensor side of the streaming runner: every matMul is one host array uploaded, one
 * kernel, one read back. Two tfjs costs dominate at streaming sizes and are avoided here:
 * - tf.tidy walks the container its callback returns, and a returned typed array is walked
 *   element by element (a Set insertion per value), which cost more than the kernels; so
 *   tensors are freed by hand.
 * - tf.fused.matMul wraps the kernel in three reshapes and a customGrad scope (~7 µs per
 *   call on wasm, a third of a small matMul); the runner needs no gradients, so it calls the
 *   _FusedMatMul kernel through engine().runKernel (tfjs' entry point for running kernels
 *   from outside the engine) with the rank-3 operands the kernel takes on every backend.
 */
import * as tf from '@tensorflow/tfjs';

export type Activation = 'linear' | 'relu' | 'sigmoid';

/** A [k, n] weight matrix (row-major values) as the kernel's [1, k, n] operand. */
export function weightTensor(values: Float32Array, k: number, n: number): tf.Tensor3D {
  return tf.tensor3d(values, [1, k, n]);
}

/**
 * activation(x · w + bias) for x [1, m, k], w [1, k, n]: [1, m, n]. The bias (rank 1, n) is
 * optional; 'linear' applies no activation.
 */
export function matMul(x: tf.Tensor3D, w: tf.Tensor3D, bias: tf.Tensor1D | null, activation: Activation): tf.Tensor3D {
  const inputs: tf.NamedTensorMap = bias === null ? { a: x, b: w } : { a: x, b: w, bias };
  return tf.engine().runKernel<tf.Tensor3D>(tf._FusedMatMul, inputs, { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0 });
}

/**
 * Uploads `values` (exactly rows × cols) as [1, rows, cols], passes it to `use` and frees it
 * afterwards (also when `use` throws). `values` may be overwritten once this returns, even on
 * backends that keep a reference to uploaded arrays (cpu).
 */
export function withUpload<T>(values: Float32Array, rows: number, cols: number, use: (x: tf.Tensor3D) => T): T {
  const x = tf.tensor3d(values, [1, rows, cols]);
  try {
    return use(x);
  } finally {
    x.dispose();
  }
}

/** The tensor's values (a host copy on wasm); the tensor is freed. */
export function readAndDispose(t: tf.Tensor): Float32Array {
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}

/** One upload, one matMul, one read: activation(values · w + bias) as [rows, n] host values. */
export function hostMatMul(values: Float32Array, rows: number, cols: number, w: tf.Tensor3D, bias: tf.Tensor1D | null, activation: Activation): Float32Array {
  return withUpload(values, rows, cols, (x) => readAndDispose(matMul(x, w, bias, activation)));
}
