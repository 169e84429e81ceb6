/**
 * Loads the speech clips once, converts them to 16 kHz pcm_s16le and lays them end to end
 * in one shared buffer that every stream of every worker reads from (no per-stream copies).
 * For a call-centre load (`--call-share`), the same clips also as telephone calls: a steep
 * 300–3400 Hz band at 8 kHz, G.711 μ-law, one byte a sample.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_SAMPLE_RATE_HZ } from '../shared/protocol.js';
import { decodeWavToMono } from '../shared/wav.js';
import { resampleWhole } from '../shared/dsp/resample.js';
import { encodeMulaw } from '../shared/dsp/g711.js';
import { steepTelephoneBand8k, TELEPHONE_RATE_HZ } from '../shared/dsp/telephone_band.js';

/** How the loop's bytes encode its samples (the `start` message's `encoding`). */
export type LoopEncoding = 'pcm_s16le' | 'mulaw';

/** Bytes of one sample in `encoding`. */
export function bytesPerSample(encoding: LoopEncoding): number {
  return encoding === 'mulaw' ? 1 : 2;
}


/** The looped audio all streams share. */
export interface LoopAudio {
  sampleRateHz: number;
  encoding: LoopEncoding;
  /** Encoded bytes: `loopSamples` samples, then a copy of the first `padSamples` (see below). */
  pcm: SharedArrayBuffer;
  /** Length of one lap of the loop, samples. */
  loopSamples: number;
  /**
   * The loop's first samples repeated after its end, so any chunk of up to `padSamples` that
   * starts inside the loop is one contiguous view, never a copy.
   */
  padSamples: number;
  /** Sample offset where each clip starts. */
  clipStartSamples: number[];
  clipNames: string[];
}

/** Float samples in [-1, 1] → 16-bit little-endian integers (clamped, rounded). */
export function floatToPcm16(samples: Float32Array, out: Int16Array, offset = 0): void {
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i] as number));
    out[offset + i] = Math.round(s < 0 ? s * 32768 : s * 32767);
  }
}

/**
 * Lays clips (already at `sampleRateHz`) end to end in `encoding`, pads with the loop's start
 * so chunks of up to `padSamples` never wrap. Pure apart from allocating the shared buffer.
 */
export function buildLoop(
  clips: Float32Array[],
  names: string[],
  sampleRateHz: number,
  padSamples: number,
  encoding: LoopEncoding = 'pcm_s16le',
): LoopAudio {
  const loopSamples = clips.reduce((n, c) => n + c.length, 0);
  if (loopSamples === 0) throw new RangeError('expected at least one non-empty clip, got none');
  const pcm = new SharedArrayBuffer((loopSamples + padSamples) * bytesPerSample(encoding));
  const view = encoding === 'mulaw' ? new Uint8Array(pcm) : new Int16Array(pcm);
  const clipStartSamples: number[] = [];
  let at = 0;
  for (const clip of clips) {
    clipStartSamples.push(at);
    if (view instanceof Int16Array) floatToPcm16(clip, view, at);
    else view.set(encodeMulaw(clip), at);
    at += clip.length;
  }
  for (let i = 0; i < padSamples; i++) view[loopSamples + i] = view[i % loopSamples] as number;
  return { sampleRateHz, encoding, pcm, loopSamples, padSamples, clipStartSamples, clipNames: names };
}

/** Every `*.wav` in `dir` (sorted by name), resampled to 16 kHz where needed. */
async function readClips16k(dir: string): Promise<{ names: string[]; clips: Float32Array[] }> {
  const names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.wav')).sort();
  if (names.length === 0) throw new RangeError(`--clips: expected a folder with .wav files, got none in ${dir}`);
  const clips: Float32Array[] = [];
  for (const name of names) {
    const decoded = decodeWavToMono(new Uint8Array(await readFile(join(dir, name))));
    clips.push(resampleWhole(decoded.samples, decoded.sampleRateHz, MODEL_SAMPLE_RATE_HZ));
  }
  return { names, clips };
}

/** The loop of every `*.wav` in `dir` at 16 kHz, pcm_s16le. */
export async function loadClips(dir: string, padSamples: number): Promise<LoopAudio> {
  const { names, clips } = await readClips16k(dir);
  return buildLoop(clips, names, MODEL_SAMPLE_RATE_HZ, padSamples);
}

/** The same clips as telephone calls: 8 kHz, steep 300–3400 Hz band, μ-law. */
export async function loadCallClips(dir: string, padSamples: number): Promise<LoopAudio> {
  const { names, clips } = await readClips16k(dir);
  const calls = clips.map((c) => steepTelephoneBand8k(c, MODEL_SAMPLE_RATE_HZ));
  return buildLoop(calls, names, TELEPHONE_RATE_HZ, padSamples, 'mulaw');
}
