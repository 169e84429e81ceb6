/**
 * Babble: other talkers summed into a clip at a speech-level SNR — the crowd of a call
 * centre or a game lobby. Shared by the evaluation's babble conditions (models/eval/
 * conditions.ts, talkers from the evaluated set) and the training augmentation (augment.ts,
 * talkers from the fold's own training actors, never the clip's speaker), so both mix alike.
 */
import { activePower } from './level.js';
import type { Prng } from './prng.js';

/** Talkers in one babble, as the evaluation's conditions use. */
export const BABBLE_TALKERS = 6;

/**
 * `talkers` utterances drawn from `others` summed with random offsets (looped to `length`),
 * each at unit speech level.
 */
export function makeBabble(length: number, others: readonly Float32Array[], prng: Prng, talkers = BABBLE_TALKERS): Float32Array {
  const out = new Float32Array(length);
  if (others.length === 0) throw new Error('babble: expected other clips to mix, got none');
  for (let k = 0; k < talkers; k += 1) {
    const src = others[prng.int(0, others.length - 1)] as Float32Array;
    const gain = 1 / Math.sqrt(Math.max(activePower(src), 1e-12));
    const offset = prng.int(0, src.length - 1);
    for (let i = 0; i < length; i += 1) out[i] = (out[i] as number) + (src[(offset + i) % src.length] as number) * gain;
  }
  return out;
}

/** `samples` plus `noise` scaled to `snrDb` below the samples' speech level, clipped to [-1, 1]. */
export function mixAtSnr(samples: Float32Array, noise: Float32Array, snrDb: number): Float32Array {
  const scale = Math.sqrt(activePower(samples) / 10 ** (snrDb / 10) / Math.max(activePower(noise), 1e-12));
  return samples.map((s, i) => Math.max(-1, Math.min(1, s + (noise[i] ?? 0) * scale)));
}
