/**
 * Streaming-mode evaluation: each clip goes through the server's incremental path — the
 * feature chain of shared/dsp (decode → resample → MFCC → VoicedGate) → stepBatch — in random
 * chunk sizes, many clips interleaved so one stepBatch call serves them all (as the server
 * batches streams). A clip's answer is the last non-null distribution the runner produced
 * (after the utterance's final reset the window is empty and the runner returns null).
 */
import { readFileSync } from 'node:fs';
import { ENCODINGS, type Encoding } from '../../shared/protocol.js';
import { FeatureChain, joinFrames } from '../../shared/dsp/feature_chain.js';
import { decodeWavToMono, parseWav } from '../../shared/wav.js';
import type { LoadedModel } from '../io.js';
import { featureOptionsOf } from '../meta.js';
import { createStreamState, stepBatch, type StreamState } from '../streaming/runner.js';
import type { ClipRef } from './dataset.js';
import { Prng } from './prng.js';
import { telephoneMulaw8k } from './telephone.js';

/** Chunk sizes drawn uniformly in this range, ms of audio (the protocol allows any size). */
export const CHUNK_MS_RANGE: [number, number] = [10, 250];
/** Streams advanced together per stepBatch call. */
export const STREAMS_PER_BATCH = 32;

/** What a client would send: encoded bytes plus the start message's format. */
export interface StreamInput {
  bytes: Uint8Array;
  encoding: Encoding;
  channels: 1 | 2;
  sampleRateHz: number;
}

function f32Bytes(samples: Float32Array): Uint8Array {
  return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
}

/** The file as a client would stream it; `telephone` turns it into an 8 kHz μ-law call. */
export function streamInputOf(path: string, telephone: boolean): StreamInput {
  const bytes = new Uint8Array(readFileSync(path));
  if (telephone) {
    const { sampleRateHz, samples } = decodeWavToMono(bytes);
    return { bytes: telephoneMulaw8k(samples, sampleRateHz), encoding: 'mulaw', channels: 1, sampleRateHz: 8000 };
  }
  const wav = parseWav(bytes);
  if ((ENCODINGS as readonly string[]).includes(wav.encoding) && (wav.channels === 1 || wav.channels === 2)) {
    return { bytes: wav.data, encoding: wav.encoding as Encoding, channels: wav.channels, sampleRateHz: wav.sampleRateHz };
  }
  // Formats only files carry (24-bit, u8, …) go over the wire as float32, as the SDK sends them.
  const { sampleRateHz, samples } = decodeWavToMono(bytes);
  return { bytes: f32Bytes(samples), encoding: 'pcm_f32le', channels: 1, sampleRateHz };
}

interface Stream {
  input: StreamInput;
  offset: number;
  bytesPerMs: number;
  chain: FeatureChain;
  state: StreamState;
  last: Float32Array | null;
}

function openStream(model: LoadedModel, input: StreamInput): Stream {
  const chain = new FeatureChain({
    inputRateHz: input.sampleRateHz,
    ...featureOptionsOf(model.meta),
    decoder: { encoding: input.encoding, channels: input.channels },
  });
  return {
    input,
    offset: 0,
    bytesPerMs: (chain.frameBytes * input.sampleRateHz) / 1000,
    chain,
    state: createStreamState(model),
    last: null,
  };
}

/** Advances one stream by one chunk (the flush at the end); returns its new frames. */
function nextChunk(s: Stream, prng: Prng): { frames: Float32Array; voiced: Uint8Array } {
  const chunkBytes = Math.max(1, Math.round(prng.uniform(CHUNK_MS_RANGE[0], CHUNK_MS_RANGE[1]) * s.bytesPerMs));
  const end = Math.min(s.input.bytes.length, s.offset + chunkBytes);
  let out = s.chain.pushBytes(s.input.bytes.subarray(s.offset, end));
  s.offset = end;
  if (s.offset >= s.input.bytes.length) out = joinFrames(out, s.chain.flush());
  return { frames: out.coeffs, voiced: out.voiced };
}

/**
 * Final distribution per clip (null where the runner never produced one, e.g. a silent
 * clip). `seed` fixes the chunk sizes.
 */
export function predictStreaming(
  model: LoadedModel,
  clips: readonly ClipRef[],
  options: { telephone: boolean; seed: number; onClip?: (done: number) => void },
): (Float32Array | null)[] {
  const prng = new Prng(options.seed);
  const out: (Float32Array | null)[] = [];
  for (let g = 0; g < clips.length; g += STREAMS_PER_BATCH) {
    const streams = clips.slice(g, g + STREAMS_PER_BATCH).map((c) => openStream(model, streamInputOf(c.path, options.telephone)));
    let active = streams.filter((s) => s.offset < s.input.bytes.length);
    while (active.length > 0) {
      const requests = active.map((s) => ({ state: s.state, ...nextChunk(s, prng) }));
      const results = stepBatch(model, requests);
      results.forEach((r, i) => {
        if (r.probs !== null) (active[i] as Stream).last = r.probs;
      });
      active = active.filter((s) => s.offset < s.input.bytes.length);
    }
    for (const s of streams) out.push(s.last);
    options.onClip?.(out.length);
  }
  return out;
}
