/**
 * Engine selection in fresh processes (the tfjs backend is process-global): the fall-through
 * with its recorded reasons, a forced engine that cannot start, and the streaming runner's
 * results on another engine against wasm. The webgpu tests run only where Dawn finds a GPU
 * adapter and are skipped, saying so, everywhere else (CPU machines, CI).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectEngine, type SkippedEngine } from '../../models/engine.js';
import { kernelSelfTest } from '../../models/engine_check.js';
import { findWebGpuAdapter, gpuDeviceNodes } from '../../models/engine_webgpu.js';

const ROOT = new URL('../../', import.meta.url).pathname;
/** Largest |engine − wasm| accepted on a probability: float32 kernels that sum in another order differ ~1e-6. */
const PARITY_TOLERANCE = 1e-4;

const found = await findWebGpuAdapter();
const NO_ADAPTER = 'reason' in found ? `no WebGPU adapter here (${found.reason}: ${found.detail}); run bench/gpu_check.sh on a GPU machine` : false;
const HAS_ADAPTER = 'reason' in found ? false : `Dawn found an adapter (${found.adapter}); these tests are for machines without one`;

async function runNode(args: string[], env: Record<string, string>): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { ...process.env, SER_ENGINE: '', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

interface Selection {
  engine: string;
  skipped: SkippedEngine[];
}

async function select(engine: string): Promise<Selection> {
  const script =
    "const { selectEngine, skippedEngines } = await import('./models/engine.ts'); const engine = await selectEngine(); process.stdout.write(JSON.stringify({ engine, skipped: skippedEngines() }));";
  return JSON.parse(await runNode(['--input-type=module', '-e', script], { SER_ENGINE: engine })) as Selection;
}

interface Parity {
  engine: string;
  tensorsBefore: number;
  tensorsAfter: number;
  results: number[][];
}

const parity = async (engine: string): Promise<Parity> => JSON.parse(await runNode(['test/models/engine_parity_child.ts'], { SER_ENGINE: engine })) as Parity;

function assertParity(other: Parity, wasm: Parity): void {
  assert.equal(other.tensorsAfter, other.tensorsBefore, `${other.engine}: tensor count grew`);
  assert.equal(other.results.length, wasm.results.length);
  let max = 0;
  other.results.forEach((probs, i) => {
    const reference = wasm.results[i]!;
    assert.equal(probs.length, reference.length, `call result ${i}: probs on one engine and not the other`);
    probs.forEach((p, j) => (max = Math.max(max, Math.abs(p - reference[j]!))));
  });
  assert.ok(max <= PARITY_TOLERANCE, `${other.engine} vs wasm: max |Δp| ${max} > ${PARITY_TOLERANCE}`);
}

describe('engine selection without a GPU adapter', { skip: HAS_ADAPTER }, () => {
  it('auto passes over webgpu, naming the reason, and serves on the next engine', async () => {
    const { engine, skipped } = await select('auto');
    assert.ok(['tfjs-node', 'wasm'].includes(engine), `got ${engine}`);
    const webgpu = skipped.find((s) => s.engine === 'webgpu');
    assert.ok(webgpu !== undefined, `expected webgpu among the skipped engines, got ${JSON.stringify(skipped)}`);
    assert.ok(['no_adapter', 'not_installed'].includes(webgpu.reason));
    assert.ok(webgpu.detail.length > 0);
    assert.deepEqual(
      skipped.map((s) => s.engine),
      ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'].slice(0, skipped.length),
      'skipped in the selection order',
    );
  });

  it('SER_ENGINE=webgpu fails at start-up, naming the reason', async () => {
    await assert.rejects(select('webgpu'), (err: Error) => {
      assert.match(err.message, /expected a usable tfjs engine among webgpu, none could start: webgpu: (no_adapter \(Dawn found no GPU adapter|not_installed)/);
      return true;
    });
  });
});

describe('webgpu engine (needs a GPU adapter)', { skip: NO_ADAPTER }, () => {
  it('SER_ENGINE=webgpu selects it (its kernel self-test passed)', async () => {
    assert.equal((await select('webgpu')).engine, 'webgpu');
  });

  it(`streaming steps at batch 1, 8, 64 equal wasm's within ${PARITY_TOLERANCE}, tensor count flat`, async () => {
    const [webgpu, wasm] = await Promise.all([parity('webgpu'), parity('wasm')]);
    assert.equal(webgpu.engine, 'webgpu');
    assertParity(webgpu, wasm);
  });
});

describe('kernel self-test', () => {
  it('passes on wasm and cpu and leaves no tensor behind', async () => {
    assert.equal(await selectEngine('wasm'), 'wasm');
    for (const backend of ['wasm', 'cpu']) {
      assert.ok(await tf.setBackend(backend));
      const before = tf.memory().numTensors;
      assert.equal(kernelSelfTest(), null, backend);
      assert.equal(tf.memory().numTensors, before, backend);
    }
    await tf.setBackend('wasm');
  });

  it('names the kernel that throws or disagrees (a backend with a broken _FusedMatMul)', async () => {
    const Cpu = tf.findBackend('cpu')!.constructor as new () => tf.KernelBackend;
    tf.registerBackend('broken-matmul', () => new Cpu());
    let wrong = false;
    tf.registerKernel({
      kernelName: tf._FusedMatMul,
      backendName: 'broken-matmul',
      kernelFunc: ({ inputs, backend }) => {
        if (!wrong) throw new Error('kernel not supported');
        const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
        const rows = a.shape[1]!;
        const cols = b.shape[2]!;
        return (backend as tf.KernelBackend & { makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo }).makeTensorInfo([1, rows, cols], 'float32', new Float32Array(rows * cols).fill(0.5));
      },
    });
    const before = tf.memory().numTensors;
    try {
      assert.ok(await tf.setBackend('broken-matmul'));
      assert.deepEqual(kernelSelfTest(), { reason: 'self_test_failed', detail: 'kernel not supported' });
      wrong = true;
      const failure = kernelSelfTest();
      assert.equal(failure?.reason, 'self_test_failed');
      assert.match(failure?.detail ?? '', /^_FusedMatMul \(relu\): value 0 expected [\d.e-]+, got 0\.5$/);
      assert.equal(tf.memory().numTensors, before);
    } finally {
      await tf.setBackend('wasm');
      tf.unregisterKernel(tf._FusedMatMul, 'broken-matmul');
      tf.removeBackend('broken-matmul');
    }
  });
});

describe('engine parity harness', () => {
  it(`cpu's streaming steps equal wasm's within ${PARITY_TOLERANCE}, tensor count flat (the harness the webgpu test uses)`, async () => {
    const [cpu, wasm] = await Promise.all([parity('cpu'), parity('wasm')]);
    assert.equal(cpu.engine, 'cpu');
    assert.equal(wasm.engine, 'wasm');
    assertParity(cpu, wasm);
  });
});

describe('GPU device nodes', () => {
  it('finds NVIDIA and DRM render nodes, nothing else, and nothing without /dev/dri', async () => {
    const { mkdtemp, mkdir, writeFile, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dev = await mkdtemp(join(tmpdir(), 'ser-dev-'));
    try {
      assert.deepEqual(gpuDeviceNodes(dev), []);
      await writeFile(join(dev, 'nvidiactl'), '');
      await writeFile(join(dev, 'nvidia0'), '');
      await mkdir(join(dev, 'dri'));
      await writeFile(join(dev, 'dri', 'card0'), '');
      await writeFile(join(dev, 'dri', 'renderD128'), '');
      assert.deepEqual(gpuDeviceNodes(dev), [join(dev, 'nvidia0'), join(dev, 'dri', 'renderD128')]);
    } finally {
      await rm(dev, { recursive: true, force: true });
    }
  });
});
