/**
 * Loads the speech clips once, converts them to 16 kHz pcm_s16le and lays them end to end
 * in one shared buffer that every stream of every worker reads from (no per-stream copies).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_SAMPLE_RATE_HZ } from '../shared/protocol.js';
import { decodeWavToMono } from '../shared/wav.js';
import { resampleWhole } from '../shared/dsp/resample.js';

/** The looped audio all streams share. */
export interface LoopAudio {
  sampleRateHz: number;
  /** pcm_s16le bytes: `loopSamples` samples, then a copy of the first `padSamples` (see below). */
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
 * Lays clips (already at `sampleRateHz`) end to end, pads with the loop's start so chunks of
 * up to `padSamples` never wrap. Pure apart from allocating the shared buffer.
 */
export function buildLoop(clips: Float32Array[], names: string[], sampleRateHz: number, padSamples: number): LoopAudio {
  const loopSamples = clips.reduce((n, c) => n + c.length, 0);
  if (loopSamples === 0) throw new RangeError('expected at least one non-empty clip, got none');
  const pcm = new SharedArrayBuffer((loopSamples + padSamples) * 2);
  const view = new Int16Array(pcm);
  const clipStartSamples: number[] = [];
  let at = 0;
  for (const clip of clips) {
    clipStartSamples.push(at);
    floatToPcm16(clip, view, at);
    at += clip.length;
  }
  for (let i = 0; i < padSamples; i++) view[loopSamples + i] = view[i % loopSamples] as number;
  return { sampleRateHz, pcm, loopSamples, padSamples, clipStartSamples, clipNames: names };
}

/** Reads every `*.wav` in `dir` (sorted by name), resampled to 16 kHz where needed. */
export async function loadClips(dir: string, padSamples: number): Promise<LoopAudio> {
  const names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.wav')).sort();
  if (names.length === 0) throw new RangeError(`--clips: expected a folder with .wav files, got none in ${dir}`);
  const clips: Float32Array[] = [];
  for (const name of names) {
    const decoded = decodeWavToMono(new Uint8Array(await readFile(join(dir, name))));
    clips.push(resampleWhole(decoded.samples, decoded.sampleRateHz, MODEL_SAMPLE_RATE_HZ));
  }
  return buildLoop(clips, names, MODEL_SAMPLE_RATE_HZ, padSamples);
}
