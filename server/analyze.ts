/**
 * POST /v1/analyze: a whole recording through the same pipeline a WebSocket stream uses
 * (same hop cutting, model path, smoothing and summary), answered as one JSON document.
 * The body is a WAV file (detected by its RIFF header) or raw audio described by the same
 * parameters as `start`, given in the query string.
 */
import { randomUUID } from 'node:crypto';
import { Observable, lastValueFrom, map, toArray } from 'rxjs';
import { BYTES_PER_SAMPLE } from '../shared/dsp/pcm_decode.js';
import { ProtocolError } from '../shared/error_codes.js';
import { MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ, type EmotionMessage, type SummaryMessage } from '../shared/protocol.js';
import { decodeWavToMono } from '../shared/wav.js';
import { audioToResults, samplesToResults, type EmotionResult } from './pipeline/index.js';
import type { Drainable } from './session/registry.js';
import type { SessionContext } from './session/session.js';
import { formatFieldsFromQuery, resolveFormat, type StreamFormat } from './session/start.js';
import type { InferenceStream } from './model/batcher.js';
import { SummaryAccumulator } from './session/summary.js';

export interface AnalyzeResponse {
  model: { id: string; labels: string[] };
  /** Rate of the submitted audio, Hz. */
  sampleRate: number;
  hopMs: number;
  smoothing: number;
  /** Every hop's result, as a stream would have received them (the last has final: true). */
  results: EmotionMessage[];
  summary: SummaryMessage;
}

function isWav(body: Uint8Array): boolean {
  return body.length >= 12 && String.fromCharCode(...body.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...body.subarray(8, 12)) === 'WAVE';
}

/** The body as a stream source: its format and how to run it through the pipeline. */
interface Prepared {
  format: StreamFormat;
  audioSeconds: number;
  run(stream: InferenceStream, labels: readonly string[]): Observable<EmotionResult>;
}

/**
 * A long recording enters the pipeline one slice at a time with a macrotask between slices,
 * so its feature extraction never holds the event loop that serves live sockets for long.
 */
const SLICE_SECONDS = 0.25;

function slices<T extends Uint8Array | Float32Array>(data: T, size: number): T[] {
  const out: T[] = [];
  for (let offset = 0; offset < data.length; offset += size) out.push(data.subarray(offset, offset + size) as T);
  return out;
}

function yieldingFrom<T>(items: readonly T[]): Observable<T> {
  return new Observable<T>((subscriber) => {
    let index = 0;
    let handle: NodeJS.Immediate;
    const step = (): void => {
      const item = items[index];
      if (item === undefined) {
        subscriber.complete();
        return;
      }
      index += 1;
      subscriber.next(item);
      handle = setImmediate(step);
    };
    handle = setImmediate(step);
    return () => clearImmediate(handle);
  });
}

function prepare(body: Uint8Array, query: Record<string, unknown>, defaults: { hopMs: number; smoothing: number }): Prepared {
  const fields = formatFieldsFromQuery(query);
  if (isWav(body)) {
    // WAV may hold encodings the stream protocol does not (24/32-bit int): decode it here
    // and enter the pipeline at the resampler, exactly where decoded stream audio enters.
    const wav = decodeWavToMono(body);
    const rate = wav.sampleRateHz;
    if (rate < MIN_SAMPLE_RATE_HZ || rate > MAX_SAMPLE_RATE_HZ) {
      throw new ProtocolError('unsupported_format', `expected a WAV at ${MIN_SAMPLE_RATE_HZ}–${MAX_SAMPLE_RATE_HZ} Hz, got ${rate} Hz`);
    }
    const format = resolveFormat({ ...fields, sampleRate: rate, encoding: 'pcm_f32le', channels: 1 }, defaults);
    return {
      format,
      audioSeconds: wav.samples.length / rate,
      run: (stream, labels) =>
        yieldingFrom(slices(wav.samples, rate * SLICE_SECONDS)).pipe(
          map((samples) => ({ samples, arrivedAtMs: performance.now() })),
          samplesToResults({ inputRateHz: rate, hopMs: format.hopMs, smoothing: format.smoothing, labels, stream }),
        ),
    };
  }
  if (fields.sampleRate === undefined && fields.encoding === undefined) {
    throw new ProtocolError('bad_message', 'expected a WAV body, or sampleRate and encoding in the query for raw audio, got neither');
  }
  const format = resolveFormat(fields, defaults);
  return {
    format,
    audioSeconds: body.length / (BYTES_PER_SAMPLE[format.encoding] * format.channels * format.sampleRateHz),
    run: (stream, labels) =>
      yieldingFrom(slices(body, BYTES_PER_SAMPLE[format.encoding] * format.channels * format.sampleRateHz * SLICE_SECONDS)).pipe(
        map((bytes) => ({ bytes, arrivedAtMs: performance.now() })),
        audioToResults({ ...format, inputRateHz: format.sampleRateHz, labels, stream }),
      ),
  };
}

export async function analyze(body: Uint8Array, query: Record<string, unknown>, ctx: SessionContext): Promise<AnalyzeResponse> {
  const { pool, config, metrics, registry } = ctx;
  const { format, audioSeconds, run } = prepare(body, query, { hopMs: config.defaultHopMs, smoothing: config.defaultSmoothing });

  // An analysis holds a session slot for as long as it runs; a drain simply waits for it.
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const slot: Drainable = { drain: () => finished, abort: () => undefined };
  if (!registry.tryAdd(slot)) {
    throw new ProtocolError('too_many_sessions', `expected fewer than ${config.maxSessions} live sessions, the server is full`);
  }
  metrics.sessionsActive.inc();
  const startedMs = performance.now();
  const stream = pool.open(`analyze-${randomUUID()}`);
  let outcome: 'completed' | 'error' = 'error';
  try {
    metrics.audioReceivedBytes.inc(body.length);
    metrics.audioReceivedSeconds.inc(audioSeconds);
    const all: EmotionResult[] = await lastValueFrom(run(stream, pool.model.labels).pipe(toArray()));
    const summary = new SummaryAccumulator(pool.model.labels);
    for (const r of all) summary.push(r.message, r.hopEndMs);
    metrics.resultsSent.inc(all.length);
    metrics.analyzeDuration.observe((performance.now() - startedMs) / 1000);
    outcome = 'completed';
    return {
      model: { id: pool.model.id, labels: [...pool.model.labels] },
      sampleRate: format.sampleRateHz,
      hopMs: format.hopMs,
      smoothing: format.smoothing,
      results: all.map((r) => r.message),
      summary: summary.build(),
    };
  } finally {
    stream.close();
    registry.remove(slot);
    metrics.sessionsActive.dec();
    metrics.sessionsTotal.inc({ outcome });
    done();
  }
}
