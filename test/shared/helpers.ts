/** Test helpers for the DSP tests: seeded randomness, signals, concatenation. */
import { mulberry32 } from '../../shared/prng.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SPEECH_FIXTURES = ['03-01-01-01-01-01-01.wav', '03-01-03-01-01-01-02.wav', '03-01-05-02-01-01-01.wav'] as const;

export function fixturePath(relative: string): string {
  return fileURLToPath(new URL(`../fixtures/${relative}`, import.meta.url));
}

export function readFixture(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(relative)));
}

/** mulberry32: small, seeded, good enough to pick chunk sizes and make noise. */
export function seededRandom(seed: number): () => number {
  return mulberry32(seed);
}

/** Standard normal samples from a seeded uniform source (Box–Muller). */
export function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export function tone(frequencyHz: number, sampleRateHz: number, samples: number, amplitude = 0.5, phase = 0): Float32Array {
  const out = new Float32Array(samples);
  for (let n = 0; n < samples; n++) out[n] = amplitude * Math.sin((2 * Math.PI * frequencyHz * n) / sampleRateHz + phase);
  return out;
}

export function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Splits `length` into random chunk sizes in [1, maxChunk], log-uniform so tiny and huge both occur. */
export function randomChunkSizes(length: number, maxChunk: number, random: () => number): number[] {
  const sizes: number[] = [];
  let left = length;
  while (left > 0) {
    const size = Math.min(left, Math.max(1, Math.floor(Math.exp(random() * Math.log(maxChunk + 1)))));
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/**
 * Amplitude and residual of a sinusoid at `frequencyHz` in `x` by least squares on sin/cos
 * ; the residual RMS measures everything else (aliases, images, noise).
 */
export function fitTone(x: Float32Array, frequencyHz: number, sampleRateHz: number): { amplitude: number; residualRms: number } {
  let ss = 0, sc = 0, cc = 0, xs = 0, xc = 0;
  const w = (2 * Math.PI * frequencyHz) / sampleRateHz;
  for (let n = 0; n < x.length; n++) {
    const s = Math.sin(w * n);
    const c = Math.cos(w * n);
    const v = x[n] as number;
    ss += s * s;
    sc += s * c;
    cc += c * c;
    xs += v * s;
    xc += v * c;
  }
  const det = ss * cc - sc * sc;
  const a = (xs * cc - xc * sc) / det;
  const b = (xc * ss - xs * sc) / det;
  let res = 0;
  for (let n = 0; n < x.length; n++) {
    const r = (x[n] as number) - a * Math.sin(w * n) - b * Math.cos(w * n);
    res += r * r;
  }
  return { amplitude: Math.hypot(a, b), residualRms: Math.sqrt(res / x.length) };
}

export function rms(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] as number) ** 2;
  return Math.sqrt(s / Math.max(1, x.length));
}

export function db(ratio: number): number {
  return 20 * Math.log10(ratio);
}

/** Streams `x` through `resampler` in chunks of `sizes`, then flushes: the whole output. */
export function resampleChunked(resampler: { process(x: Float32Array): Float32Array; flush(): Float32Array }, x: Float32Array, sizes: readonly number[]): Float32Array {
  const parts: Float32Array[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(resampler.process(x.subarray(at, at + size)));
    at += size;
  }
  parts.push(resampler.flush());
  return concat(parts);
}
