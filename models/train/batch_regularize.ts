/**
 * Batch-level regularisers applied to normalised features after padding (training only):
 * SpecAugment-style masks (Park et al. 2019: time spans and feature bands set to the
 * training mean, i.e. 0 after normalisation) and mixup (Zhang et al. 2018: each clip blended
 * with another clip of the batch, the targets blended by the same weight). Pure functions
 * of a PaddedBatch and a PRNG: the model, the server and the streaming path never see them.
 */
import type { PaddedBatch } from './batching.js';
import type { Prng } from './prng.js';

export interface MaskConfig {
  /** Time masks per clip, ≥ 0. */
  timeMasks: number;
  /** Longest time mask, frames (10 ms), ≥ 1. */
  maxTimeFrames: number;
  /** Feature-band masks per clip, ≥ 0. */
  featureMasks: number;
  /** Widest feature-band mask, coefficients, ≥ 1. */
  maxFeatures: number;
}

export const DEFAULT_MASKS: Readonly<MaskConfig> = Object.freeze({ timeMasks: 2, maxTimeFrames: 20, featureMasks: 2, maxFeatures: 3 });

export function validateMasks(c: MaskConfig): void {
  for (const [name, v, lo] of [['timeMasks', c.timeMasks, 0], ['maxTimeFrames', c.maxTimeFrames, 1], ['featureMasks', c.featureMasks, 0], ['maxFeatures', c.maxFeatures, 1]] as const) {
    if (!Number.isInteger(v) || v < lo) throw new Error(`masks.${name}: expected an integer ≥ ${lo}, got ${v}`);
  }
}

/** Zeroes random time spans and feature bands inside each clip's valid frames, in place. */
export function maskBatch(batch: PaddedBatch, config: MaskConfig, prng: Prng): void {
  const { x, maxFrames, numCoeffs } = batch;
  for (let b = 0; b < batch.batch; b += 1) {
    const valid = batch.validFrames[b] as number;
    const first = maxFrames - valid;
    const row = b * maxFrames * numCoeffs;
    for (let m = 0; m < config.timeMasks; m += 1) {
      const width = prng.int(0, Math.min(config.maxTimeFrames, Math.floor(valid / 5)));
      const start = first + prng.int(0, valid - width);
      x.fill(0, row + start * numCoeffs, row + (start + width) * numCoeffs);
    }
    for (let m = 0; m < config.featureMasks; m += 1) {
      const width = prng.int(0, Math.min(config.maxFeatures, numCoeffs - 1));
      const start = prng.int(0, numCoeffs - width);
      for (let t = first; t < maxFrames; t += 1) x.fill(0, row + t * numCoeffs + start, row + t * numCoeffs + start + width);
    }
  }
}

/** Gamma(shape, 1) by Marsaglia–Tsang (shape < 1 boosted by U^(1/shape)). */
function gamma(shape: number, prng: Prng): number {
  if (shape < 1) return gamma(shape + 1, prng) * Math.pow(Math.max(prng.next(), 1e-12), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = prng.normal();
    const v = Math.pow(1 + c * z, 3);
    if (v <= 0) continue;
    const u = prng.next();
    if (Math.log(Math.max(u, 1e-300)) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Beta(alpha, alpha). */
export function sampleBeta(alpha: number, prng: Prng): number {
  const a = gamma(alpha, prng);
  const b = gamma(alpha, prng);
  return a / (a + b);
}

export interface MixedBatch {
  /** Per clip: its partner's index in the batch. */
  partner: Int32Array;
  /** Per clip: the weight of its own clip and label, in [0.5, 1]. */
  lambda: Float32Array;
}

/**
 * Mixup in place: clip b becomes λ·x_b + (1−λ)·x_partner with λ ~ Beta(α, α) folded to
 * [0.5, 1] (the clip's own label keeps the larger share), partners a random rotation of the
 * batch. Clips are left-padded, so the blend is aligned at the clip ends; a clip's valid
 * frames become the longer of the two.
 */
export function mixBatch(batch: PaddedBatch, alpha: number, prng: Prng): MixedBatch {
  if (!(alpha > 0)) throw new Error(`mixup alpha: expected > 0, got ${alpha}`);
  const { batch: n, maxFrames, numCoeffs } = batch;
  const span = maxFrames * numCoeffs;
  const shift = n > 1 ? prng.int(1, n - 1) : 0;
  const partner = Int32Array.from({ length: n }, (_, b) => (b + shift) % n);
  const lambda = Float32Array.from({ length: n }, () => {
    const l = sampleBeta(alpha, prng);
    return Math.max(l, 1 - l);
  });
  const source = batch.x.slice();
  const validFrames = batch.validFrames.slice();
  for (let b = 0; b < n; b += 1) {
    const p = partner[b] as number;
    const l = lambda[b] as number;
    for (let i = 0; i < span; i += 1) batch.x[b * span + i] = l * (source[b * span + i] as number) + (1 - l) * (source[p * span + i] as number);
    batch.validFrames[b] = Math.max(validFrames[b] as number, validFrames[p] as number);
  }
  return { partner, lambda };
}
