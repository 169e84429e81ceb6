/**
 * Why an engine was passed over, and the kernel self-test an engine must pass before it
 * serves. The self-test runs the kernels the streaming runner runs, the way it runs them
 * (models/streaming/tensor_io.ts: a rank-3 upload, the _FusedMatMul kernel with a bias and a
 * fused relu or sigmoid, a synchronous read back; window_runner.ts: softmax), on a few values
 * with a host reference, so an engine whose kernels are missing or wrong is skipped at start
 * instead of failing (or answering garbage) on the first hop.
 */
import * as tf from '@tensorflow/tfjs';
import { matMul, readAndDispose, weightTensor, withUpload, type Activation } from './streaming/tensor_io.js';

/**
 * Stable reason codes (the `reason` label of ser_engine_skipped). `not_installed`: the
 * optional package is absent or its native part does not load; `no_adapter`: WebGPU found no
 * GPU adapter; `init_failed`: the backend did not initialise; `self_test_failed`: a kernel
 * threw or disagreed with the host reference.
 */
export const SKIP_REASONS = ['not_installed', 'no_adapter', 'init_failed', 'self_test_failed'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface EngineSkip {
  reason: SkipReason;
  /** What failed, for people (logs, /readyz); never a metric label. */
  detail: string;
}

/** Largest |engine − host| accepted: float32 matMuls of 4 terms agree far closer than this on every backend. */
const SELF_TEST_TOLERANCE = 1e-4;

const X = [0.5, -1, 2, 0.25, -0.75, 1.5, -2, 1, 0.1, 0.2, -0.3, 0.4]; // [3, 4]
const W = [0.3, -0.2, -0.1, 0.4, 0.25, 0.15, -0.35, 0.05]; // [4, 2]
const BIAS = [0.1, -0.05];

function hostFusedMatMul(activation: Activation): number[] {
  const out: number[] = [];
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 2; c++) {
      let v = BIAS[c]!;
      for (let k = 0; k < 4; k++) v += X[r * 4 + k]! * W[k * 2 + c]!;
      out.push(activation === 'relu' ? Math.max(0, v) : activation === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : v);
    }
  }
  return out;
}

function hostSoftmaxRows(values: number[], cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < values.length / cols; r++) {
    const row = values.slice(r * cols, (r + 1) * cols);
    const max = Math.max(...row);
    const exps = row.map((v) => Math.exp(v - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    out.push(...exps.map((e) => e / sum));
  }
  return out;
}

function compare(what: string, got: ArrayLike<number>, expected: number[]): void {
  if (got.length !== expected.length) throw new Error(`${what}: expected ${expected.length} values, got ${got.length}`);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs((got[i] ?? Number.NaN) - expected[i]!);
    if (!(diff <= SELF_TEST_TOLERANCE)) throw new Error(`${what}: value ${i} expected ${expected[i]}, got ${got[i]}`);
  }
}

/**
 * Runs the self-test on the current backend. Resolves to null when every kernel agrees with
 * the host, else to the first failure. Leaves no tensor behind either way.
 */
export function kernelSelfTest(): EngineSkip | null {
  const w = weightTensor(Float32Array.from(W), 4, 2);
  const bias = tf.tensor1d(BIAS);
  try {
    for (const activation of ['relu', 'sigmoid', 'linear'] as const) {
      const got = withUpload(Float32Array.from(X), 3, 4, (x) => readAndDispose(matMul(x, w, activation === 'linear' ? null : bias, activation)));
      const expected = activation === 'linear' ? hostFusedMatMul('linear').map((v, i) => v - BIAS[i % 2]!) : hostFusedMatMul(activation);
      compare(`_FusedMatMul (${activation})`, got, expected);
    }
    const logits = tf.tensor2d(X, [3, 4]);
    try {
      compare('softmax', readAndDispose(tf.softmax(logits)), hostSoftmaxRows(X, 4));
    } finally {
      logits.dispose();
    }
    return null;
  } catch (err) {
    return { reason: 'self_test_failed', detail: err instanceof Error ? err.message : String(err) };
  } finally {
    w.dispose();
    bias.dispose();
  }
}
