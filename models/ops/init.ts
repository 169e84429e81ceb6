/**
 * Seeded parameter initialisers. Plain JS random numbers (not tf.random*) so a seed gives
 * the same weights on every backend.
 */
import { mulberry32 } from '../../shared/prng.js';

/** One parameter as an architecture's init creates it. */
export interface ParamSpec {
  shape: number[];
  values: Float32Array;
  /** False for statistics that the optimizer must not touch (batch-norm moving stats). */
  trainable: boolean;
}

/** mulberry32: small, fast, good enough for weight init; returns values in [0, 1). */
export function seededRandom(seed: number): () => number {
  return mulberry32(seed);
}

/** Glorot/Xavier uniform over [fanIn, fanOut]-shaped weights (any leading dims fold into fanIn). */
export function glorot(shape: number[], fanIn: number, fanOut: number, random: () => number): ParamSpec {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = (random() * 2 - 1) * limit;
  return { shape, values, trainable: true };
}

export function constant(shape: number[], value: number, trainable = true): ParamSpec {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, values: new Float32Array(size).fill(value), trainable };
}

/** LSTM bias with the forget-gate slice at 1 (gate order i, f, o, g) so early training remembers. */
export function lstmBias(units: number): ParamSpec {
  const b = constant([4 * units], 0);
  b.values.fill(1, units, 2 * units);
  return b;
}
