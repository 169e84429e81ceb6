/**
 * Per-epoch checkpoints in `<out>/checkpoint/`: the weights after the last finished epoch,
 * the best weights so far, and `state.json` (epoch, best metric, patience counter, learning
 * rate, PRNG state, history). No optimizer moments ("optimizer-free"): Adam restarts its
 * moment estimates on resume, a small, documented difference from an uninterrupted run.
 *
 * Kill-safe: every file is written to a temporary name and renamed, and state.json — which
 * names the weight files — is renamed last, so a run killed at any point resumes from the
 * previous complete checkpoint.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EpochRecord } from './progress.js';

export interface WeightEntry {
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface TrainState {
  /** Epochs completed (1-based count). */
  epoch: number;
  bestMetric: number;
  bestEpoch: number;
  epochsSinceBest: number;
  learningRate: number;
  prngState: number;
  history: EpochRecord[];
  lastWeights: string;
  bestWeights: string;
  /** Fingerprint of the run's settings: resuming with different settings is refused. */
  configHash: string;
}

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Serialises named tensors as `<file>.json` (names, shapes) + `<file>.bin` (f32 LE). */
export function writeWeights(dir: string, file: string, weights: readonly WeightEntry[]): void {
  const total = weights.reduce((s, w) => s + w.values.length, 0);
  const bin = new Float32Array(total);
  let offset = 0;
  const manifest = weights.map((w) => {
    bin.set(w.values, offset);
    const entry = { name: w.name, shape: w.shape, offset, length: w.values.length };
    offset += w.values.length;
    return entry;
  });
  writeAtomic(join(dir, `${file}.bin`), new Uint8Array(bin.buffer));
  writeAtomic(join(dir, `${file}.json`), JSON.stringify(manifest));
}

export function readWeights(dir: string, file: string): WeightEntry[] {
  const manifest = JSON.parse(readFileSync(join(dir, `${file}.json`), 'utf8')) as {
    name: string;
    shape: number[];
    offset: number;
    length: number;
  }[];
  const bytes = readFileSync(join(dir, `${file}.bin`));
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return manifest.map((m) => ({ name: m.name, shape: m.shape, values: all.slice(m.offset, m.offset + m.length) }));
}

export function checkpointDir(outDir: string): string {
  return join(outDir, 'checkpoint');
}

/** Writes this epoch's weights (and the best ones when `isBest`), then the state. */
export function saveCheckpoint(
  outDir: string,
  state: Omit<TrainState, 'lastWeights' | 'bestWeights'> & { bestWeights?: string },
  weights: readonly WeightEntry[],
  isBest: boolean,
): TrainState {
  const dir = checkpointDir(outDir);
  mkdirSync(dir, { recursive: true });
  const lastWeights = `weights-e${String(state.epoch).padStart(4, '0')}`;
  writeWeights(dir, lastWeights, weights);
  const bestWeights = isBest ? lastWeights : state.bestWeights ?? lastWeights;
  const full: TrainState = { ...state, lastWeights, bestWeights };
  writeAtomic(join(dir, 'state.json'), JSON.stringify(full, null, 1));
  // Older weight files are no longer referenced by state.json.
  for (const name of readdirSync(dir)) {
    const stem = name.replace(/\.(json|bin)$/, '');
    if (stem.startsWith('weights-e') && stem !== lastWeights && stem !== bestWeights) rmSync(join(dir, name), { force: true });
  }
  return full;
}

/** The saved state, or null when there is no checkpoint. */
export function loadCheckpointState(outDir: string): TrainState | null {
  const file = join(checkpointDir(outDir), 'state.json');
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as TrainState;
}
