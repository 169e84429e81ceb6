/**
 * POST /v1/analyze: a whole recording through the same pipeline a WebSocket stream uses
 * (same hop cutting, model path, smoothing and summary; in an inference worker, as every
 * stream), answered as one JSON document.
 * The body is a WAV file (detected by its RIFF header) or raw audio described by the same
 * parameters as `start`, given in the query string.
 *
 * Admission (key, capacity, size, concurrent uploads) happened before the body was read
 * (admission.ts). The body is then read as the analysis takes it: its header, then
 * 0.25 s slices fed paced like a stream (maxRealTimeMultiple, live first) and no further
 * ahead of the results than one hop and a second (feed.ts, ahead.ts). So an
 * upload holds, in this process, at most that audio (≈ 1.5 s at the default hop; fed and
 * unanswered, plus the slice being cut) and the request stream's buffers (≈ 80 KiB, see
 * body.ts), whatever the file's length; the rest waits in the uploader's TCP send
 * buffer. The run stops within one slice when `signal` fires (client gone, drain over).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { map, tap, type Observable } from 'rxjs';
import { BYTES_PER_SAMPLE } from '../../shared/dsp/pcm_decode.js';
import { ProtocolError } from '../../shared/error_codes.js';
import type { ChannelMode, EmotionMessage, NoticeMessage, SummaryMessage } from '../../shared/protocol.js';
import { decodeInterleavedToMono, isStreamEncoding } from '../../shared/wav.js';
import { AHEAD_MARGIN_MS, FeedAhead } from './ahead.js';
import { BodyReader, type ByteSource } from './body.js';
import { prepareSeparateRaw, prepareSeparateWav } from './channels.js';
import { pacedItems, type OpenStream, type Pace, type PacedItem, type PreparedBody } from './feed.js';
import { BodySlicer, type SliceOptions } from './slices.js';
import { WAV_SNIFF_BYTES, checkWavRate, isWavHead, readWavHeader, type WavHeader } from './wav.js';
import { untagged, type ChannelResult } from '../pipeline/channels.js';
import { ChannelSummaries } from '../session/channel_summary.js';
import { monoStream } from '../session/mono_stream.js';
import { PACE_BURST_SECONDS, Pacer } from '../session/pacer.js';
import { streamRecovery } from '../session/recovery.js';
import type { SessionContext } from '../session/context.js';
import { formatFieldsFromQuery, resolveFormat, type StreamFormat } from '../session/start.js';
import { servingModel } from '../workers/band.js';

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

/**
 * A long recording goes to its worker one slice at a time, paced like a stream, so it takes
 * its share of the worker beside live streams, and an aborted run stops within a slice.
 */
const SLICE_SECONDS = 0.25;

type Defaults = { hopMs: number; smoothing: number };

const NO_FORMAT = 'expected a WAV body, or sampleRate and encoding in the query for raw audio, got neither';

/** Reads the body's header (a WAV's, up to its samples) and says how the rest goes through the pipeline. */
async function prepare(body: BodyReader, query: Record<string, unknown>, defaults: Defaults): Promise<PreparedBody> {
  const sniffed = await body.fill(WAV_SNIFF_BYTES);
  if (sniffed === 0) throw new ProtocolError('bad_message', 'expected a WAV file or raw audio in the body, got an empty body');
  const fields = formatFieldsFromQuery(query);
  const isWav = isWavHead(body.peek(WAV_SNIFF_BYTES));
  if (fields.channelMode === 'separate') {
    if (!isWav && fields.sampleRate === undefined && fields.encoding === undefined) throw new ProtocolError('bad_message', NO_FORMAT);
    return isWav ? prepareSeparateWav(await readWavHeader(body), body, fields, defaults, SLICE_SECONDS) : prepareSeparateRaw(body, fields, defaults, SLICE_SECONDS);
  }
  if (isWav) {
    const wav = await readWavHeader(body);
    const rate = checkWavRate(wav.sampleRateHz);
    if (isStreamEncoding(wav.encoding) && (wav.channels === 1 || wav.channels === 2)) {
      // The samples go to the worker as they are, like a WebSocket stream's bytes: decoded
      // (and a stereo pair mixed) there, off the main thread.
      const format = resolveFormat({ ...fields, sampleRate: rate, encoding: wav.encoding, channels: wav.channels }, defaults);
      return mono(body, format, { frameBytes: wav.blockAlign, dataBytes: wav.dataBytes });
    }
    return monoDecodedHere(body, wav, resolveFormat({ ...fields, sampleRate: rate, encoding: 'pcm_f32le', channels: 1 }, defaults));
  }
  if (fields.sampleRate === undefined && fields.encoding === undefined) throw new ProtocolError('bad_message', NO_FORMAT);
  return mono(body, resolveFormat(fields, defaults), { frameBytes: 1, dataBytes: Number.POSITIVE_INFINITY });
}

/** The pipeline of the one mono stream of 'mix' (stereo averaged in the worker). */
function monoPipeline(format: StreamFormat): PreparedBody['pipeline'] {
  return (open: OpenStream) => (items) =>
    items.pipe(
      map((item) => ({ ...item.chunk(), arrivedAtMs: performance.now() })),
      open(undefined, format),
      untagged(),
    );
}

/** Bytes of one mono stream (stereo averaged: channelMode 'mix') in `format`, cut into slices as they are read. */
function mono(body: ByteSource, format: StreamFormat, audio: Omit<SliceOptions, 'sliceBytes'>): PreparedBody {
  const bytesPerSecond = BYTES_PER_SAMPLE[format.encoding] * format.channels * format.sampleRateHz;
  const slicer = new BodySlicer(body, { ...audio, sliceBytes: bytesPerSecond * SLICE_SECONDS });
  const next = async (): Promise<PacedItem | null> => {
    const bytes = await slicer.next();
    if (bytes === null) return null;
    const seconds = bytes.length / bytesPerSecond;
    return { chunk: () => ({ bytes }), seconds, streamMs: seconds * 1000 };
  };
  return { format, streams: 1, next, pipeline: monoPipeline(format) };
}

/**
 * A WAV in an encoding or layout only files use (8/24/32-bit int, float64, more than 2
 * channels): decoded to float on the main thread one slice at a time, as the pacer feeds it
 * (never the whole file at once), entering the pipeline as pcm_f32le mono.
 */
function monoDecodedHere(body: ByteSource, wav: WavHeader, format: StreamFormat): PreparedBody {
  const frameBytes = wav.blockAlign;
  const rate = wav.sampleRateHz;
  const slicer = new BodySlicer(body, { sliceBytes: Math.max(1, Math.round(rate * SLICE_SECONDS)) * frameBytes, frameBytes, dataBytes: wav.dataBytes });
  const next = async (): Promise<PacedItem | null> => {
    const part = await slicer.next();
    if (part === null) return null;
    const seconds = part.length / frameBytes / rate;
    const chunk = (): { bytes: Uint8Array } => {
      const samples = decodeInterleavedToMono(part, wav.encoding, wav.channels);
      return { bytes: new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength) };
    };
    return { chunk, seconds, streamMs: seconds * 1000 };
  };
  return { format, streams: 1, next, pipeline: monoPipeline(format) };
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
 * Analyses one admitted body, read from `request` as the analysis goes (its session slot is
 * held by the admission). Rejects with the signal's reason when it fires; with
 * `message_too_large` as soon as the body passes maxAnalyzeBytes.
 */
export async function analyze(request: IncomingMessage, query: Record<string, unknown>, ctx: SessionContext, signal: AbortSignal): Promise<AnalyzeResponse> {
  const { config, metrics } = ctx;
  // Bytes are counted once the body is known to be audio (its header read), then as they arrive.
  let counting = false;
  const onBytes = (bytes: number): void => {
    if (counting) metrics.audioReceivedBytes.inc(bytes);
  };
  const body = new BodyReader(request, config.maxAnalyzeBytes, onBytes, signal);
  try {
    const contentEncoding = request.headers['content-encoding'];
    if (contentEncoding !== undefined && contentEncoding.toLowerCase() !== 'identity') {
      // A compressed body would be inflated without a bound on what one chunk becomes.
      throw new ProtocolError('unsupported_format', `expected a body without Content-Encoding, got ${contentEncoding}`);
    }
    const prepared = await prepare(body, query, { hopMs: config.defaultHopMs, smoothing: config.defaultSmoothing });
    counting = true;
    metrics.audioReceivedBytes.inc(body.bytesRead);
    return await run(prepared, body, ctx, signal);
  } finally {
    body.dispose();
  }
}

async function run(prepared: PreparedBody, body: BodyReader, ctx: SessionContext, signal: AbortSignal): Promise<AnalyzeResponse> {
  const { pool, config, metrics } = ctx;
  const { format } = prepared;
  metrics.sessionsActive.inc();
  const startedMs = performance.now();
  const id = `analyze-${randomUUID()}`;
  const notices: NoticeMessage[] = [];
  const ahead = new FeedAhead(prepared.streams, format.hopMs + AHEAD_MARGIN_MS);
  const recovery = streamRecovery(metrics, format.channelLabels, (notice) => notices.push(notice));
  const open: OpenStream = (channel, mono) => {
    const told = recovery(channel);
    return monoStream(pool, channel === undefined ? id : `${id}#${channel}`, mono, {
      onResumed: (resumed) => {
        ahead.resumed(channel, resumed.resumedAtMs);
        told.onResumed(resumed);
      },
      onEnded: (lost) => told.onEnded(lost),
    });
  };
  let outcome: 'completed' | 'error' | 'client_closed' | 'shutdown' = 'error';
  const pace: Pace = {
    pacer: new Pacer(config.maxRealTimeMultiple, PACE_BURST_SECONDS, performance.now()),
    onPaced: (seconds) => metrics.audioPacedSeconds.inc(seconds),
  };
  /** The next item as it is read; at the end of the audio, the rest of the body is read too (counted against the limit). */
  const next = async (): Promise<PacedItem | null> => {
    const item = await prepared.next();
    if (item === null) await body.drain();
    else metrics.audioReceivedSeconds.inc(item.seconds);
    return item;
  };
  try {
    const results = pacedItems(next, pace, ahead).pipe(
      prepared.pipeline(open),
      tap((r) => ahead.answered(r.channel, r.hopEndMs, r.message.final === true)),
    );
    const all = await collect(results, signal).catch((err: unknown) => {
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
      model: servingModel(pool.model, format.sampleRateHz),
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
