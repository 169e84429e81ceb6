/**
 * Picks the TensorFlow.js backend once per process. Native bindings are optional
 * dependencies that often fail to install (no CUDA, no prebuilt binary), so every import is
 * guarded and the next engine is tried. Order: tfjs-node-gpu → tfjs-node → wasm → cpu.
 */
import * as tf from '@tensorflow/tfjs';

export const ENGINE_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];
export type EnginePreference = EngineName | 'auto';

/** Environment variable that forces an engine (same values as `EnginePreference`). */
export const ENGINE_ENV_VAR = 'SER_ENGINE';

let selected: Promise<EngineName> | null = null;
let current: EngineName | null = null;

/** The engine chosen by `selectEngine`, or null before it resolved. */
export function currentEngine(): EngineName | null {
  return current;
}

function parsePreference(value: string): EnginePreference {
  if (value === 'auto' || (ENGINE_NAMES as readonly string[]).includes(value)) {
    return value as EnginePreference;
  }
  throw new Error(`expected engine one of auto, ${ENGINE_NAMES.join(', ')}, got "${value}"`);
}

/** Imports a module whose name TypeScript must not resolve (it may not be installed). */
async function importOptional(specifier: string): Promise<boolean> {
  try {
    await import(specifier);
    return true;
  } catch {
    return false;
  }
}

async function tryEngine(name: EngineName): Promise<boolean> {
  try {
    switch (name) {
      case 'tfjs-node-gpu':
      case 'tfjs-node': {
        // The native packages register the 'tensorflow' backend against their own copy of
        // tfjs-core; it is only usable here when that copy is the one we import.
        const specifier = name === 'tfjs-node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
        if (!(await importOptional(specifier))) return false;
        return await tf.setBackend('tensorflow');
      }
      case 'wasm': {
        if (!(await importOptional('@tensorflow/tfjs-backend-wasm'))) return false;
        return await tf.setBackend('wasm');
      }
      case 'cpu':
        return await tf.setBackend('cpu');
    }
  } catch {
    return false;
  }
}

async function select(preferred: EnginePreference): Promise<EngineName> {
  const candidates = preferred === 'auto' ? ENGINE_NAMES : [preferred];
  const tried: string[] = [];
  for (const name of candidates) {
    if (await tryEngine(name)) {
      await tf.ready();
      current = name;
      process.stderr.write(
        `${JSON.stringify({ level: 'info', msg: 'tfjs engine selected', engine: name, preferred, skipped: tried })}\n`,
      );
      return name;
    }
    tried.push(name);
  }
  throw new Error(`expected a usable tfjs engine among ${candidates.join(', ')}, none could start`);
}

/**
 * Selects and initialises the tfjs backend. `SER_ENGINE` overrides `preferred` when set.
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
