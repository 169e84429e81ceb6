/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): one uint32 of state, well mixed, the same
 * sequence on every platform. Used wherever the project needs reproducible randomness:
 * weight initialisation, training shuffles and augmentation, test chunkings, load plans.
 */

/** Added to the state before each draw. */
export const MULBERRY32_INCREMENT = 0x6d2b79f5;

/** The value in [0, 1) drawn from an already advanced state. */
export function mulberry32Output(stateU32: number): number {
  let t = stateU32;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A seeded source of uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + MULBERRY32_INCREMENT) >>> 0;
    return mulberry32Output(state);
  };
}
