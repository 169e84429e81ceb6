/**
 * WebGPU kernel probe for a GPU machine (bench/gpu_check.sh runs it). It starts the webgpu
 * backend directly, without the engine's self-test, to find out what the streaming runner
 * would meet there:
 * - whether a synchronous read back (`dataSync`, what models/streaming/tensor_io.ts does
 *   after every kernel) works in Node: the tfjs webgpu backend implements it through
 *   OffscreenCanvas, which Node lacks;
 * - the runner's _FusedMatMul at its shapes (the LSTM step: [batch, 80] · [80, 192] + b,
 *   sigmoid; a conv layer: [batch × 12, 128] · [128, 32] + b, relu), read back asynchronously
 *   (`await data()`), against a host reference, with ms per upload + kernel + read.
 * Prints numbers; asserts nothing. Exits 0 with a note where there is no adapter.
 *
 *   node --import tsx bench/gpu/kernels.ts [--backend webgpu|wasm] [--batches 1,2,4,…,1024] [--seconds 1]
 *
 * `--backend wasm` runs the same probe on wasm: the baseline beside the GPU figures.
 */
import * as tf from '@tensorflow/tfjs';
import { prepareWebGpu } from '../../models/engine_webgpu.js';
import { matMul, weightTensor, type Activation } from '../../models/streaming/tensor_io.js';
import { mulberry32 } from '../../shared/prng.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const batches = arg('batches', '1,2,4,8,16,32,64,128,256,512,1024').split(',').map(Number);
const seconds = Number(arg('seconds', '1'));
const backend = arg('backend', 'webgpu');

/** The default model's shapes (models/architectures/cnn_attn_lstm.ts: conv 32 ch, kernel 4, stride 2, so ~12 rows per 25-frame hop at the second layer; LSTM 48 units). */
const SHAPES = [
  { name: 'lstm step', rowsPerStream: 1, k: 32 + 48, n: 4 * 48, activation: 'sigmoid' as Activation },
  { name: 'conv layer', rowsPerStream: 12, k: 4 * 32, n: 32, activation: 'relu' as Activation },
];

let device = 'host';
if (backend === 'webgpu') {
  const prepared = await prepareWebGpu({ probeWithoutDevice: true });
  if ('reason' in prepared) {
    console.log(`webgpu: not available here (${prepared.reason}: ${prepared.detail}); nothing to probe`);
    process.exit(0);
  }
  device = prepared.adapter;
} else if (backend === 'wasm') {
  await import('@tensorflow/tfjs-backend-wasm');
} else {
  throw new Error(`--backend: expected webgpu or wasm, got "${backend}"`);
}
if (!(await tf.setBackend(backend))) {
  console.log(`tf.setBackend('${backend}') returned false`);
  process.exit(1);
}
await tf.ready();
console.log(`backend ${tf.getBackend()}; device: ${device}`);

const random = mulberry32(7);
const values = (n: number): Float32Array => Float32Array.from({ length: n }, () => random() * 2 - 1);

function host(x: Float32Array, w: Float32Array, b: Float32Array, rows: number, k: number, n: number, activation: Activation): Float32Array {
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < n; c++) {
      let v = b[c]!;
      for (let i = 0; i < k; i++) v += x[r * k + i]! * w[i * n + c]!;
      out[r * n + c] = activation === 'relu' ? Math.max(0, v) : activation === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : v;
    }
  }
  return out;
}

// 1. The runner's synchronous read back.
{
  const w = weightTensor(values(4), 2, 2);
  const x = tf.tensor3d(values(2), [1, 1, 2]);
  const y = matMul(x, w, null, 'linear');
  try {
    y.dataSync();
    console.log('dataSync after a kernel: works');
  } catch (err) {
    console.log(`dataSync after a kernel: FAILS (${err instanceof Error ? err.message : String(err)}) — the streaming runner needs an async read back on webgpu`);
  }
  tf.dispose([w, x, y]);
}

// 2. Kernels at the runner's shapes, read back asynchronously.
console.log('shape       batch   rows    k    n  calls  ms/call  max|Δ| vs host');
for (const shape of SHAPES) {
  const wValues = values(shape.k * shape.n);
  const bValues = values(shape.n);
  const w = weightTensor(wValues, shape.k, shape.n);
  const bias = tf.tensor1d(bValues);
  for (const batch of batches) {
    const rows = batch * shape.rowsPerStream;
    const xValues = values(rows * shape.k);
    const run = async (): Promise<Float32Array> => {
      const x = tf.tensor3d(xValues, [1, rows, shape.k]);
      const y = matMul(x, w, bias, shape.activation);
      try {
        return (await y.data()) as Float32Array;
      } finally {
        tf.dispose([x, y]);
      }
    };
    const got = await run();
    const expected = host(xValues, wValues, bValues, rows, shape.k, shape.n, shape.activation);
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - expected[i]!));
    let calls = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) {
      await run();
      calls++;
    }
    const ms = (performance.now() - started) / calls;
    console.log(
      `${shape.name.padEnd(10)} ${String(batch).padStart(6)} ${String(rows).padStart(6)} ${String(shape.k).padStart(4)} ${String(shape.n).padStart(4)} ${String(calls).padStart(6)} ${ms.toFixed(3).padStart(8)}  ${maxDiff.toExponential(1)}`,
    );
  }
  tf.dispose([w, bias]);
}
console.log(`tensors left: ${tf.memory().numTensors}`);
