/**
 * Test helpers for per-channel analysis: clips as raw bytes in any protocol encoding,
 * two clips interleaved into one stereo stream, stereo WAV files, real clips from the
 * RAVDESS 16 kHz set when the machine has it, and raw streaming of bytes over a socket.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeAlaw, encodeMulaw } from '../../shared/dsp/g711.js';
import { resampleWhole } from '../../shared/dsp/resample.js';
import type { EmotionMessage, Encoding, StartMessage } from '../../shared/protocol.js';
import { readWavMono, streamStartAndBytes, type StreamOutcome } from './server.js';

/** Mono float samples → bytes in `encoding`. */
export function encodeSamples(samples: Float32Array, encoding: Encoding): Uint8Array {
  if (encoding === 'mulaw') return encodeMulaw(samples);
  if (encoding === 'alaw') return encodeAlaw(samples);
  if (encoding === 'pcm_f32le') return new Uint8Array(samples.slice().buffer);
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  samples.forEach((x, i) => view.setInt16(i * 2, Math.max(-32768, Math.min(32767, Math.round(x * 32768))), true));
  return out;
}

/** Two mono byte streams of equal length (whole samples of `sampleBytes`) → one interleaved stereo stream. */
export function interleave(left: Uint8Array, right: Uint8Array, sampleBytes: number): Uint8Array {
  if (left.length !== right.length) throw new RangeError(`expected equal lengths, got ${left.length} and ${right.length}`);
  const out = new Uint8Array(left.length * 2);
  for (let f = 0; f * sampleBytes < left.length; f += 1) {
    out.set(left.subarray(f * sampleBytes, (f + 1) * sampleBytes), 2 * f * sampleBytes);
    out.set(right.subarray(f * sampleBytes, (f + 1) * sampleBytes), (2 * f + 1) * sampleBytes);
  }
  return out;
}

/** A 16-bit stereo WAV from two mono float clips of equal length. */
export function stereoWav16(left: Float32Array, right: Float32Array, sampleRateHz: number): Uint8Array {
  const data = interleave(encodeSamples(left, 'pcm_s16le'), encodeSamples(right, 'pcm_s16le'), 2);
  const out = new Uint8Array(44 + data.length);
  const view = new DataView(out.buffer);
  const ascii = (at: number, s: string): void => [...s].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + data.length, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 2, true);
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * 4, true);
  view.setUint16(32, 4, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, data.length, true);
  out.set(data, 44);
  return out;
}

/** Two clips at `rateHz`, cut to the shorter one's length. */
export async function clipPair(pathA: string, pathB: string, rateHz: number): Promise<[Float32Array, Float32Array]> {
  const load = async (path: string): Promise<Float32Array> => {
    const wav = await readWavMono(path);
    return wav.sampleRateHz === rateHz ? wav.samples : resampleWhole(wav.samples, wav.sampleRateHz, rateHz);
  };
  const [a, b] = [await load(pathA), await load(pathB)];
  const n = Math.min(a.length, b.length);
  return [a.slice(0, n), b.slice(0, n)];
}

export const RAVDESS_16K_DIR = fileURLToPath(new URL('../../../shared/data/ravdess-speech-16k/', import.meta.url));

/** Two real clips of different actors and emotions from the RAVDESS 16 kHz set, or null when it is absent. */
export function ravdessPair(): [string, string] | null {
  const pick = (actor: string, emotion: string): string | undefined => {
    const dir = join(RAVDESS_16K_DIR, actor);
    if (!existsSync(dir)) return undefined;
    const file = readdirSync(dir).find((f) => f.split('-')[2] === emotion && f.endsWith('.wav'));
    return file === undefined ? undefined : join(dir, file);
  };
  const a = pick('Actor_19', '05');
  const b = pick('Actor_20', '04');
  return a !== undefined && b !== undefined ? [a, b] : null;
}

/** Streams raw bytes with `start` in random chunks, ends, and collects everything until close. */
export function streamBytes(wsUrl: string, start: Omit<StartMessage, 'type'>, data: Uint8Array, seed = 1): Promise<StreamOutcome> {
  return streamStartAndBytes(wsUrl, { type: 'start', ...start }, data, { seed });
}

/** A channel's results without the channel fields, to compare with a mono stream's. */
export function channelResults(results: EmotionMessage[], channel: number): EmotionMessage[] {
  return results
    .filter((r) => r.channel === channel)
    .map(({ channel: _c, channelLabel: _l, ...rest }) => rest);
}
