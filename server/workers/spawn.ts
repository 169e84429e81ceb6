/**
 * Starts an inference worker thread. Under tsx (the project runs TypeScript directly),
 * `--import tsx` in a worker's execArgv does not reach the worker's own entry module on
 * Node 20 (ERR_UNKNOWN_FILE_EXTENSION), so the worker boots from a tiny eval script that
 * registers tsx's loader first and then imports worker.ts. A compiled build (`.js`) starts
 * the worker file directly.
 */
import { Worker } from 'node:worker_threads';
import type { WorkerInit } from './messages.js';

export function spawnInferenceWorker(init: WorkerInit): Worker {
  // selectEngine() lets SER_ENGINE override its argument; give the worker the resolved
  // choice so a --engine flag beats an inherited environment variable.
  const env = { ...process.env, SER_ENGINE: init.engine };
  const runningTs = import.meta.url.endsWith('.ts');
  if (!runningTs) {
    return new Worker(new URL('./worker.js', import.meta.url), { workerData: init, env });
  }
  const entry = new URL('./worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData: init, env });
}
