/**
 * POST /v1/analyze with `channelMode=separate`: each channel of a stereo body is analysed
 * as its own stream, exactly as a `GET /v1/stream` session with channelMode 'separate'
 * would (pipeline/channels.ts), so a channel's results equal that channel streamed alone.
 *
 * Raw bodies, and WAV bodies in an encoding the stream protocol carries, are de-interleaved
 * as bytes, as a stream is, and decoded in the workers; a WAV in an encoding only files use
 * (8/24/32-bit int, float64) is decoded channel by channel to 32-bit float here, one slice
 * at a time as it is fed, and each channel enters as pcm_f32le mono, which decodes back to
 * the same floats.
 */
import { map, type Observable, type OperatorFunction } from 'rxjs';
import { BYTES_PER_SAMPLE } from '../shared/dsp/pcm_decode.js';
import { ProtocolError } from '../shared/error_codes.js';
import { MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ } from '../shared/protocol.js';
import { decodeInterleavedChannel, isStreamEncoding, parseWav, wavFrameBytes } from '../shared/wav.js';
import { separateChannels, type ChannelResult } from './pipeline/channels.js';
import type { AudioChunk, EmotionResult } from './pipeline/index.js';
import type { MonoFormat } from './session/mono_stream.js';
import { resolveFormat, type StreamFormat } from './session/start.js';

/** The pipeline of one mono stream of the analysis: `channel` undefined for the whole body ('mix'). */
export type OpenStream = (channel: number | undefined, format: MonoFormat) => OperatorFunction<AudioChunk, EmotionResult>;

/** A body cut into paced items: each makes its bytes when it is fed, and carries its stream seconds. */
export interface PacedItem {
  chunk: () => Omit<AudioChunk, 'arrivedAtMs'>;
  seconds: number;
}

export interface SeparatePrepared {
  format: StreamFormat;
  audioSeconds: number;
  items: PacedItem[];
  /** The pipeline the items go through once paced (`arrivedAtMs` stamped on entry). */
  pipeline(open: OpenStream): (items: Observable<PacedItem>) => Observable<ChannelResult>;
}

function pipelineFor(format: StreamFormat, encoding: StreamFormat['encoding']) {
  return (open: OpenStream) =>
    (items: Observable<PacedItem>): Observable<ChannelResult> =>
      items.pipe(
        map((item): AudioChunk => ({ ...item.chunk(), arrivedAtMs: performance.now() })),
        separateChannels({
          channels: format.channels,
          sampleBytes: BYTES_PER_SAMPLE[encoding],
          sampleRateHz: format.sampleRateHz,
          labels: format.channelLabels,
          open: (channel) =>
            open(channel, { encoding, channels: 1, sampleRateHz: format.sampleRateHz, hopMs: format.hopMs, smoothing: format.smoothing }),
        }),
      );
}

/**
 * A WAV body: its samples as they are when the protocol carries their encoding (as a raw
 * body); otherwise each channel decoded to float and sent as pcm_f32le, slice by slice as the
 * slices are fed (never the whole file at once), channels alternating.
 */
export function prepareSeparateWav(body: Uint8Array, fields: Record<string, unknown>, defaults: { hopMs: number; smoothing: number }, sliceSeconds: number): SeparatePrepared {
  const wav = parseWav(body);
  const rate = wav.sampleRateHz;
  if (rate < MIN_SAMPLE_RATE_HZ || rate > MAX_SAMPLE_RATE_HZ) {
    throw new ProtocolError('unsupported_format', `expected a WAV at ${MIN_SAMPLE_RATE_HZ}–${MAX_SAMPLE_RATE_HZ} Hz, got ${rate} Hz`);
  }
  if (isStreamEncoding(wav.encoding)) {
    return prepareSeparateRaw(wav.data, { ...fields, sampleRate: rate, encoding: wav.encoding, channels: wav.channels }, defaults, sliceSeconds);
  }
  const format = resolveFormat({ ...fields, sampleRate: rate, encoding: 'pcm_f32le', channels: wav.channels }, defaults);
  const frameBytes = wavFrameBytes(wav);
  const frames = Math.floor(wav.data.length / frameBytes);
  const sliceFrames = Math.max(1, Math.round(rate * sliceSeconds));
  const items: PacedItem[] = [];
  for (let offset = 0; offset < frames; offset += sliceFrames) {
    const part = wav.data.subarray(offset * frameBytes, Math.min(frames, offset + sliceFrames) * frameBytes);
    const partFrames = part.length / frameBytes;
    for (let channel = 0; channel < format.channels; channel++) {
      const chunk = (): Omit<AudioChunk, 'arrivedAtMs'> => ({ bytes: new Uint8Array(decodeInterleavedChannel(part, wav.encoding, wav.channels, channel).buffer), channel });
      items.push({ chunk, seconds: partFrames / rate / format.channels });
    }
  }
  return { format, audioSeconds: frames / rate, items, pipeline: pipelineFor(format, 'pcm_f32le') };
}

/** A raw interleaved body described by the query, de-interleaved as a stream is. */
export function prepareSeparateRaw(body: Uint8Array, fields: Record<string, unknown>, defaults: { hopMs: number; smoothing: number }, sliceSeconds: number): SeparatePrepared {
  const format = resolveFormat(fields, defaults);
  const bytesPerSecond = BYTES_PER_SAMPLE[format.encoding] * format.channels * format.sampleRateHz;
  const size = Math.max(1, Math.round(bytesPerSecond * sliceSeconds));
  const items: PacedItem[] = [];
  for (let offset = 0; offset < body.length; offset += size) {
    const bytes = body.subarray(offset, offset + size);
    items.push({ chunk: () => ({ bytes }), seconds: bytes.length / bytesPerSecond });
  }
  return { format, audioSeconds: body.length / bytesPerSecond, items, pipeline: pipelineFor(format, format.encoding) };
}
