/**
 * On-disk cache of clip features: `.cache/features/<sha256>.bin`, keyed by the feature
 * config, the source of the DSP and augmentation code, the augmentation draw and the file's
 * path, size and mtime — so a change to any of them recomputes instead of silently reusing
 * stale features. Format: u32 count, u32 numCoeffs, f32 coeffs, u8 voiced (little-endian).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MFCC_CONFIG } from '../../shared/dsp/mfcc.js';
import type { ClipFeatures } from './features.js';

export const DEFAULT_CACHE_DIR = '.cache/features';

/** Files whose source decides the feature values; their text is part of every key. */
const FEATURE_SOURCES = [
  '../../shared/dsp/feature_chain.ts',
  '../../shared/dsp/mfcc.ts',
  '../../shared/dsp/pitch.ts',
  '../../shared/dsp/yin.ts',
  '../../shared/dsp/yin_kernel.ts',
  '../../shared/dsp/yin_wasm.ts',
  '../../shared/dsp/vad.ts',
  '../../shared/dsp/resample.ts',
  '../../shared/dsp/polyphase_kernel.ts',
  '../../shared/dsp/polyphase_wasm.ts',
  '../../shared/dsp/g711.ts',
  '../../shared/dsp/band_pass.ts',
  '../../shared/dsp/telephone_band.ts',
  '../../shared/dsp/kaiser.ts',
  '../../shared/wav.ts',
  './augment.ts',
  './telephone.ts',
  './biquad.ts',
  './tilt.ts',
  './level.ts',
  './features.ts',
];

let codeHash: string | null = null;

/** Hash of the feature code, computed once per process. */
export function featureCodeHash(): string {
  if (codeHash === null) {
    const h = createHash('sha256');
    const here = dirname(fileURLToPath(import.meta.url));
    for (const rel of FEATURE_SOURCES) {
      try {
        h.update(readFileSync(join(here, rel)));
      } catch {
        h.update(`missing:${rel}`);
      }
    }
    h.update(JSON.stringify(MFCC_CONFIG));
    codeHash = h.digest('hex');
  }
  return codeHash;
}

/** Cache key of a clip's features; `variant` is the augmentation spec (null = original). */
export function cacheKey(path: string, variant: unknown): string {
  const st = statSync(path);
  return createHash('sha256')
    .update(featureCodeHash())
    .update(JSON.stringify({ path, size: st.size, mtimeMs: st.mtimeMs, variant }))
    .digest('hex');
}

export function encodeFeatures(f: ClipFeatures): Uint8Array {
  const out = new Uint8Array(8 + f.coeffs.byteLength + f.voiced.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, f.count, true);
  view.setUint32(4, f.numCoeffs, true);
  out.set(new Uint8Array(f.coeffs.buffer, f.coeffs.byteOffset, f.coeffs.byteLength), 8);
  out.set(f.voiced, 8 + f.coeffs.byteLength);
  return out;
}

export function decodeFeatures(bytes: Uint8Array): ClipFeatures {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0, true);
  const numCoeffs = view.getUint32(4, true);
  const expected = 8 + count * numCoeffs * 4 + count;
  if (bytes.byteLength !== expected) throw new Error(`expected ${expected} cache bytes, got ${bytes.byteLength}`);
  const coeffs = new Float32Array(count * numCoeffs);
  new Uint8Array(coeffs.buffer).set(bytes.subarray(8, 8 + count * numCoeffs * 4));
  const voiced = bytes.slice(8 + count * numCoeffs * 4);
  return { count, numCoeffs, coeffs, voiced };
}

/** Returns cached features or computes, stores (atomically) and returns them. */
export function cachedFeatures(cacheDir: string | null, key: string, compute: () => ClipFeatures): ClipFeatures {
  if (cacheDir === null) return compute();
  const file = join(cacheDir, key.slice(0, 2), `${key}.bin`);
  try {
    return decodeFeatures(new Uint8Array(readFileSync(file)));
  } catch {
    // Missing or truncated (a killed run): recompute below.
  }
  const features = compute();
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, encodeFeatures(features));
  renameSync(tmp, file);
  return features;
}
