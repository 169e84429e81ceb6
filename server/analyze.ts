/**
 * POST /v1/analyze: a whole recording through the same pipeline a WebSocket stream uses
 * (same hop cutting, model path, smoothing and summary; in an inference worker, as every
 * stream), answered as one JSON document.
 * The body is a WAV file (detected by its RIFF header) or raw audio described by the same
 * parameters as `start`, given in the query string.
 *
 * Admission (key, capacity, size, concurrent uploads) happened before the body was read
 * (analyze_admission.ts). The audio is fed paced like a stream (maxRealTimeMultiple, live
 * first), and the run stops within one slice when `signal` fires (client gone, drain over).
 */
import { randomUUID } from 'node:crypto';
import { Observable, map } from 'rxjs';
import { BYTES_PER_SAMPLE } from '../shared/dsp/pcm_decode.js';
import { ProtocolError } from '../shared/error_codes.js';
import {
  MAX_SAMPLE_RATE_HZ,
  MIN_SAMPLE_RATE_HZ,
  type ChannelMode,
  type EmotionMessage,
  type NoticeMessage,
  type SummaryMessage,
} from '../shared/protocol.js';
import { decodeInterleavedToMono, isStreamEncoding, parseWav, wavFrameBytes, type ParsedWav } from '../shared/wav.js';
import { prepareSeparateRaw, prepareSeparateWav, type OpenStream } from './analyze_channels.js';
import { untagged, type ChannelResult } from './pipeline/channels.js';
import { ChannelSummaries } from './session/channel_summary.js';
import { monoStream } from './session/mono_stream.js';
import { PACE_BURST_SECONDS, Pacer } from './session/pacer.js';
import { streamRecovery } from './session/recovery.js';
import type { SessionContext } from './session/context.js';
import { formatFieldsFromQuery, resolveFormat, type StreamFormat } from './session/start.js';

export interface AnalyzeResponse {
  model: { id: string; labels: string[] };
  /** Rate of the submitted audio, Hz. */
  sampleRate: number;
  hopMs: number;
  smoothing: number;
  /** With channelMode=separate: the mode, the channel count and the labels when given. */
  channelMode?: ChannelMode;
  channels?: number;
  channelLabels?: string[];
  /** Every hop's result, as a stream would have received them (the last has final: true). */
  results: EmotionMessage[];
  summary: SummaryMessage;
  /** Present when an inference worker crashed during the analysis and its stream(s) went on elsewhere. */
  notices?: NoticeMessage[];
}

function isWav(body: Uint8Array): boolean {
  return body.length >= 12 && String.fromCharCode(...body.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...body.subarray(8, 12)) === 'WAVE';
}

/** The body as a stream source: its format and how to run it through the pipeline. */
interface Prepared {
  format: StreamFormat;
  audioSeconds: number;
  run(open: OpenStream, pace: Pace): Observable<ChannelResult>;
}

/** The analysis' real-time budget and where to count the audio that waited for it. */
interface Pace {
  pacer: Pacer;
  onPaced(seconds: number): void;
}

/**
 * A long recording goes to its worker one slice at a time, paced like a stream, so it takes
 * its share of the worker beside live streams, and an aborted run stops within a slice.
 */
const SLICE_SECONDS = 0.25;

function slices(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < data.length; offset += size) out.push(data.subarray(offset, offset + size));
  return out;
}

/** The slices one per macrotask, each only when the pacer allows (`seconds` of stream time each). */
function pacedFrom<T>(items: readonly T[], seconds: (item: T) => number, pace: Pace): Observable<T> {
  return new Observable<T>((subscriber) => {
    let index = 0;
    let immediate: NodeJS.Immediate | undefined;
    let timer: NodeJS.Timeout | undefined;
    let waited = false;
    const step = (): void => {
      const item = items[index];
      if (item === undefined) {
        subscriber.complete();
        return;
      }
      const waitMs = pace.pacer.waitMs(performance.now());
      if (waitMs > 0) {
        if (!waited) pace.onPaced(seconds(item));
        waited = true;
        timer = setTimeout(step, waitMs);
        return;
      }
      waited = false;
      index += 1;
      pace.pacer.fed(seconds(item), performance.now());
      subscriber.next(item);
      immediate = setImmediate(step);
    };
    immediate = setImmediate(step);
    return () => {
      clearImmediate(immediate);
      clearTimeout(timer);
    };
  });
}

function prepare(body: Uint8Array, query: Record<string, unknown>, defaults: { hopMs: number; smoothing: number }): Prepared {
  const fields = formatFieldsFromQuery(query);
  if (fields.channelMode === 'separate') {
    if (!isWav(body) && fields.sampleRate === undefined && fields.encoding === undefined) {
      throw new ProtocolError('bad_message', 'expected a WAV body, or sampleRate and encoding in the query for raw audio, got neither');
    }
    const separate = isWav(body) ? prepareSeparateWav(body, fields, defaults, SLICE_SECONDS) : prepareSeparateRaw(body, fields, defaults, SLICE_SECONDS);
    return {
      format: separate.format,
      audioSeconds: separate.audioSeconds,
      run: (open, pace) => pacedFrom(separate.items, (item) => item.seconds, pace).pipe(separate.pipeline(open)),
    };
  }
  if (isWav(body)) {
    const wav = parseWav(body);
    const rate = wav.sampleRateHz;
    if (rate < MIN_SAMPLE_RATE_HZ || rate > MAX_SAMPLE_RATE_HZ) {
      throw new ProtocolError('unsupported_format', `expected a WAV at ${MIN_SAMPLE_RATE_HZ}–${MAX_SAMPLE_RATE_HZ} Hz, got ${rate} Hz`);
    }
    if (isStreamEncoding(wav.encoding) && (wav.channels === 1 || wav.channels === 2)) {
      // The samples go to the worker as they are, like a WebSocket stream's bytes: decoded
      // (and a stereo pair mixed) there, off the main thread.
      return mono(wav.data, resolveFormat({ ...fields, sampleRate: rate, encoding: wav.encoding, channels: wav.channels }, defaults));
    }
    return monoDecodedHere(wav, resolveFormat({ ...fields, sampleRate: rate, encoding: 'pcm_f32le', channels: 1 }, defaults));
  }
  if (fields.sampleRate === undefined && fields.encoding === undefined) {
    throw new ProtocolError('bad_message', 'expected a WAV body, or sampleRate and encoding in the query for raw audio, got neither');
  }
  return mono(body, resolveFormat(fields, defaults));
}

/** Bytes of one mono stream (stereo averaged: channelMode 'mix') in `format`, paced in slices. */
function mono(bytes: Uint8Array, format: StreamFormat): Prepared {
  const bytesPerSecond = BYTES_PER_SAMPLE[format.encoding] * format.channels * format.sampleRateHz;
  return {
    format,
    audioSeconds: bytes.length / bytesPerSecond,
    run: (open, pace) =>
      pacedFrom(slices(bytes, bytesPerSecond * SLICE_SECONDS), (slice) => slice.length / bytesPerSecond, pace).pipe(
        map((slice) => ({ bytes: slice, arrivedAtMs: performance.now() })),
        open(undefined, format),
        untagged(),
      ),
  };
}

/**
 * A WAV in an encoding or layout only files use (8/24/32-bit int, float64, more than 2
 * channels): decoded to float on the main thread one slice at a time, as the pacer feeds it
 * (never the whole file at once), entering the pipeline as pcm_f32le mono.
 */
function monoDecodedHere(wav: ParsedWav, format: StreamFormat): Prepared {
  const frameBytes = wavFrameBytes(wav);
  const rate = wav.sampleRateHz;
  const parts = slices(wav.data, Math.max(1, Math.round(rate * SLICE_SECONDS)) * frameBytes);
  return {
    format,
    audioSeconds: wav.data.length / frameBytes / rate,
    run: (open, pace) =>
      pacedFrom(parts, (part) => part.length / frameBytes / rate, pace).pipe(
        map((part) => {
          const samples = decodeInterleavedToMono(part, wav.encoding, wav.channels);
          return { bytes: new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength), arrivedAtMs: performance.now() };
        }),
        open(undefined, format),
        untagged(),
      ),
  };
}

/** Every result of `source`, or the signal's reason as soon as it fires (unsubscribing at once). */
function collect(source: Observable<ChannelResult>, signal: AbortSignal): Promise<ChannelResult[]> {
  return new Promise((resolve, reject) => {
    const out: ChannelResult[] = [];
    const onAbort = (): void => {
      subscription.unsubscribe();
      reject(signal.reason);
    };
    const subscription = source.subscribe({
      next: (r) => out.push(r),
      error: (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
      complete: () => {
        signal.removeEventListener('abort', onAbort);
        resolve(out);
      },
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Analyses one admitted body (its session slot is held by the admission). Rejects with
 * the signal's reason when it fires.
 */
export async function analyze(body: Uint8Array, query: Record<string, unknown>, ctx: SessionContext, signal: AbortSignal): Promise<AnalyzeResponse> {
  const { pool, config, metrics } = ctx;
  const { format, audioSeconds, run } = prepare(body, query, { hopMs: config.defaultHopMs, smoothing: config.defaultSmoothing });
  metrics.sessionsActive.inc();
  const startedMs = performance.now();
  const id = `analyze-${randomUUID()}`;
  const notices: NoticeMessage[] = [];
  const recovery = streamRecovery(metrics, format.channelLabels, (notice) => notices.push(notice));
  const open: OpenStream = (channel, mono) => monoStream(pool, channel === undefined ? id : `${id}#${channel}`, mono, recovery(channel));
  let outcome: 'completed' | 'error' | 'client_closed' | 'shutdown' = 'error';
  const pace: Pace = {
    pacer: new Pacer(config.maxRealTimeMultiple, PACE_BURST_SECONDS, performance.now()),
    onPaced: (seconds) => metrics.audioPacedSeconds.inc(seconds),
  };
  try {
    metrics.audioReceivedBytes.inc(body.length);
    metrics.audioReceivedSeconds.inc(audioSeconds);
    const all = await collect(run(open, pace), signal).catch((err: unknown) => {
      if (signal.aborted) outcome = err instanceof ProtocolError && err.code === 'shutting_down' ? 'shutdown' : 'client_closed';
      throw err;
    });
    const separate = format.channelMode === 'separate';
    const summary = new ChannelSummaries(pool.model.labels, separate ? format.channels : 0, format.channelLabels);
    for (const r of all) summary.push(r.message, r.hopEndMs);
    // Channels answer in any interleaving; the answer lists them by stream time, then channel.
    if (separate) all.sort((a, b) => a.message.startMs - b.message.startMs || (a.channel ?? 0) - (b.channel ?? 0));
    metrics.resultsSent.inc(all.length);
    metrics.analyzeDuration.observe((performance.now() - startedMs) / 1000);
    outcome = 'completed';
    return {
      model: { id: pool.model.id, labels: [...pool.model.labels] },
      sampleRate: format.sampleRateHz,
      hopMs: format.hopMs,
      smoothing: format.smoothing,
      ...(separate ? { channelMode: 'separate' as const, channels: format.channels, ...(format.channelLabels ? { channelLabels: format.channelLabels } : {}) } : {}),
      results: all.map((r) => r.message),
      summary: summary.build(),
      ...(notices.length > 0 ? { notices } : {}),
    };
  } finally {
    metrics.sessionsActive.dec();
    metrics.sessionsTotal.inc({ outcome });
  }
}
