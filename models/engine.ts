/**
 * Picks the TensorFlow.js backend once per process. GPU and native backends are optional
 * dependencies that often fail to install or start (no CUDA, no prebuilt binary, no GPU
 * adapter), so every engine is guarded and the next one is tried:
 * tfjs-node-gpu → webgpu → tfjs-node → wasm → cpu. An engine serves only after a kernel
 * self-test (engine_check.ts); every engine passed over is recorded with its reason
 * (`skippedEngines()`), which the server logs, shows on /readyz and exports as
 * ser_engine_skipped.
 */
import * as tf from '@tensorflow/tfjs';
import { kernelSelfTest, type EngineSkip } from './engine_check.js';
import { prepareWebGpu } from './engine_webgpu.js';

export const ENGINE_NAMES = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];
export type EnginePreference = EngineName | 'auto';
export { SKIP_REASONS, type SkipReason } from './engine_check.js';

/** An engine tried before the one selected, and why it was passed over. */
export interface SkippedEngine extends EngineSkip {
  engine: EngineName;
}

/** Environment variable that forces an engine (same values as `EnginePreference`). */
export const ENGINE_ENV_VAR = 'SER_ENGINE';

let selected: Promise<EngineName> | null = null;
let current: EngineName | null = null;
let skipped: readonly SkippedEngine[] = [];
/** The GPU adapter's name when the webgpu engine started, for the selection log. */
let adapterName: string | undefined;

/** The engine chosen by `selectEngine`, or null before it resolved. */
export function currentEngine(): EngineName | null {
  return current;
}

/** The engines tried and passed over before `currentEngine()`, in order; empty before selection. */
export function skippedEngines(): readonly SkippedEngine[] {
  return skipped;
}

function parsePreference(value: string): EnginePreference {
  if (value === 'auto' || (ENGINE_NAMES as readonly string[]).includes(value)) {
    return value as EnginePreference;
  }
  throw new Error(`expected engine one of auto, ${ENGINE_NAMES.join(', ')}, got "${value}"`);
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Imports a module whose name TypeScript must not resolve (it may not be installed). */
async function importOptional(specifier: string): Promise<EngineSkip | null> {
  try {
    await import(specifier);
    return null;
  } catch (err) {
    return { reason: 'not_installed', detail: `${specifier}: ${message(err)}` };
  }
}

/** Registers and initialises `name`'s backend; null when it is now the active backend. */
async function startBackend(name: EngineName, forced: boolean): Promise<EngineSkip | null> {
  let backend: string;
  switch (name) {
    case 'tfjs-node-gpu':
    case 'tfjs-node': {
      // The native packages register the 'tensorflow' backend against their own copy of
      // tfjs-core; it is only usable here when that copy is the one we import.
      const missing = await importOptional(name === 'tfjs-node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node');
      if (missing !== null) return missing;
      backend = 'tensorflow';
      break;
    }
    case 'webgpu': {
      const prepared = await prepareWebGpu({ probeWithoutDevice: forced });
      if ('reason' in prepared) return prepared;
      adapterName = prepared.adapter;
      backend = 'webgpu';
      break;
    }
    case 'wasm': {
      const missing = await importOptional('@tensorflow/tfjs-backend-wasm');
      if (missing !== null) return missing;
      backend = 'wasm';
      break;
    }
    case 'cpu':
      backend = 'cpu';
      break;
  }
  try {
    if (!(await tf.setBackend(backend))) return { reason: 'init_failed', detail: `tf.setBackend('${backend}') returned false` };
    await tf.ready();
    return null;
  } catch (err) {
    return { reason: 'init_failed', detail: `tf.setBackend('${backend}'): ${message(err)}` };
  }
}

/** Starts `name` and self-tests its kernels; null when it may serve. A failed backend is removed. */
async function tryEngine(name: EngineName, forced: boolean): Promise<EngineSkip | null> {
  let failure: EngineSkip | null;
  try {
    failure = await startBackend(name, forced);
  } catch (err) {
    failure = { reason: 'init_failed', detail: message(err) };
  }
  // cpu is the reference the others are measured against, and the last resort.
  if (failure === null && name !== 'cpu') failure = kernelSelfTest();
  if (failure !== null && name === 'webgpu' && tf.findBackend('webgpu') !== null) {
    // Frees the device and its buffers; the next engine's setBackend takes over.
    tf.removeBackend('webgpu');
  }
  return failure;
}

function log(fields: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify(fields)}\n`);
}

async function select(preferred: EnginePreference): Promise<EngineName> {
  const candidates = preferred === 'auto' ? ENGINE_NAMES : [preferred];
  const passed: SkippedEngine[] = [];
  for (const name of candidates) {
    const failure = await tryEngine(name, preferred !== 'auto');
    if (failure === null) {
      current = name;
      skipped = passed;
      const adapter = name === 'webgpu' ? adapterName : undefined;
      log({ level: 'info', msg: 'tfjs engine selected', engine: name, ...(adapter === undefined ? {} : { adapter }), preferred, skipped: passed });
      return name;
    }
    passed.push({ engine: name, ...failure });
  }
  if (preferred !== 'auto') {
    log({ level: 'error', msg: 'forced tfjs engine cannot start', engine: preferred, skipped: passed });
  }
  const reasons = passed.map((s) => `${s.engine}: ${s.reason} (${s.detail})`).join('; ');
  throw new Error(`expected a usable tfjs engine among ${candidates.join(', ')}, none could start: ${reasons}`);
}

/**
 * Selects and initialises the tfjs backend. `SER_ENGINE` overrides `preferred` when set.
 * A forced engine that cannot start rejects, naming the reason (it never falls back).
 * Idempotent: later calls return the first call's result (the backend is process-global,
 * so switching mid-run would orphan every loaded weight tensor).
 */
export function selectEngine(preferred: EnginePreference = 'auto'): Promise<EngineName> {
  if (selected === null) {
    const fromEnv = process.env[ENGINE_ENV_VAR];
    const choice = parsePreference(fromEnv !== undefined && fromEnv !== '' ? fromEnv : preferred);
    selected = select(choice);
    selected.catch(() => {
      selected = null;
    });
  }
  return selected;
}
