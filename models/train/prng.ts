/**
 * Seeded pseudo-random numbers for training: shuffling, augmentation choices, chunk sizes.
 *
 * mulberry32 (Tommy Ettinger's 32-bit generator): one uint32 of state, so the whole
 * generator is checkpointed as a single number and `--resume` continues the exact
 * sequence a run that was never killed would have drawn.
 */
import { MULBERRY32_INCREMENT, mulberry32Output } from '../../shared/prng.js';

export class Prng {
  private stateU32: number;

  /** @param seed any integer; the same seed gives the same sequence on every platform. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`expected a finite seed, got ${seed}`);
    this.stateU32 = Math.trunc(seed) >>> 0;
  }

  /** The internal state, for checkpoints; `Prng.fromState(s)` continues from it. */
  get state(): number {
    return this.stateU32;
  }

  static fromState(stateU32: number): Prng {
    const prng = new Prng(0);
    prng.stateU32 = stateU32 >>> 0;
    return prng;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.stateU32 = (this.stateU32 + MULBERRY32_INCREMENT) >>> 0;
    return mulberry32Output(this.stateU32);
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer uniform in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Standard normal (Box–Muller; the second value is discarded to keep the state one number). */
  normal(): number {
    const u1 = Math.max(this.next(), 1e-12);
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i -= 1) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('expected a non-empty list to pick from, got 0 items');
    return items[Math.floor(this.next() * items.length)] as T;
  }
}
