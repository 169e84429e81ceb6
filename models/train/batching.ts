/**
 * Mini-batches of variable-length clips. Clips are LEFT-padded to the batch's longest so
 * every clip ends at the last time step — the attention head pools the last `windowSteps`
 * steps, exactly as the streaming runner does — and `validFrames` tells forward() which
 * frames are real (padding is masked to zero inside the network). Bucketing (sorting by
 * length with a little noise, then shuffling whole batches) keeps padding small.
 */
import type { Prng } from './prng.js';

/** One training/validation example: normalised frames ready for the model. */
export interface Example {
  /** frames × numCoeffs, row-major, normalised; frames is a multiple of stepFrames. */
  x: Float32Array;
  frames: number;
  /** Shortest whole-step length that still holds every voiced frame (≤ frames). */
  minFrames: number;
  labelIdx: number;
  /** VoicedGate flag of each frame (the stats head pools voiced frames only). */
  voiced: Uint8Array;
  /** The teachers' softened distribution over the classes (distill.ts); absent without teachers. */
  soft?: Float32Array;
}

export interface PaddedBatch {
  /** batch × maxFrames × numCoeffs, row-major, zeros in the padding. */
  x: Float32Array;
  batch: number;
  maxFrames: number;
  numCoeffs: number;
  validFrames: Int32Array;
  /** batch × maxFrames flags, 0 in the padding (ForwardOptions.voiced). */
  voiced: Uint8Array;
  labels: Int32Array;
}

/**
 * Groups example indices into batches of at most `batchSize` clips of similar length.
 * With a PRNG the order is shuffled (training); without, it is deterministic (validation).
 * `lengthJitter` (fraction of the length, default 0.1) varies bucket membership per epoch.
 */
export function planBatches(lengths: readonly number[], batchSize: number, prng?: Prng, lengthJitter = 0.1): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`expected batchSize ≥ 1, got ${batchSize}`);
  const keyed = lengths.map((len, i) => ({ i, key: prng === undefined ? len : len * (1 + lengthJitter * (prng.next() - 0.5)) }));
  keyed.sort((a, b) => a.key - b.key || a.i - b.i);
  const batches: number[][] = [];
  for (let start = 0; start < keyed.length; start += batchSize) {
    batches.push(keyed.slice(start, start + batchSize).map((k) => k.i));
  }
  if (prng !== undefined) prng.shuffle(batches);
  return batches;
}

/** Left-pads the examples of one batch into a single array. */
export function padBatch(examples: readonly Example[], numCoeffs: number): PaddedBatch {
  if (examples.length === 0) throw new Error('expected at least one example in a batch, got 0');
  const maxFrames = Math.max(...examples.map((e) => e.frames));
  const x = new Float32Array(examples.length * maxFrames * numCoeffs);
  const validFrames = new Int32Array(examples.length);
  const voiced = new Uint8Array(examples.length * maxFrames);
  const labels = new Int32Array(examples.length);
  examples.forEach((e, b) => {
    if (e.x.length !== e.frames * numCoeffs) {
      throw new Error(`expected ${e.frames}×${numCoeffs} values, got ${e.x.length}`);
    }
    const offset = (b * maxFrames + (maxFrames - e.frames)) * numCoeffs;
    x.set(e.x, offset);
    voiced.set(e.voiced.subarray(0, e.frames), b * maxFrames + maxFrames - e.frames);
    validFrames[b] = e.frames;
    labels[b] = e.labelIdx;
  });
  return { x, batch: examples.length, maxFrames, numCoeffs, validFrames, voiced, labels };
}

/** Inverse-frequency class weights, normalised to mean 1 over the classes present. */
export function classWeights(labelIdx: readonly number[], numClasses: number): Float32Array {
  const counts = new Array<number>(numClasses).fill(0);
  for (const y of labelIdx) counts[y] = (counts[y] as number) + 1;
  const present = counts.filter((c) => c > 0).length;
  const weights = new Float32Array(numClasses);
  counts.forEach((c, k) => {
    weights[k] = c === 0 ? 0 : labelIdx.length / (present * c);
  });
  return weights;
}
