/**
 * POST /v1/analyze with `channelMode=separate`: each channel of a stereo body is analysed
 * as its own stream, exactly as a `GET /v1/stream` session with channelMode 'separate'
 * would (pipeline/channels.ts), so a channel's results equal that channel streamed alone.
 *
 * Raw bodies, and WAV bodies in an encoding the stream protocol carries, are de-interleaved
 * as bytes, as a stream is, and decoded in the workers; a WAV in an encoding only files use
 * (8/24/32-bit int, float64) is decoded channel by channel to 32-bit float here, one slice
 * at a time as it is fed, and each channel enters as pcm_f32le mono, which decodes back to
 * the same floats. Either way the body is cut into slices as it is read (slices.ts).
 */
import { map, type Observable } from 'rxjs';
import { BYTES_PER_SAMPLE } from '../../shared/dsp/pcm_decode.js';
import { decodeInterleavedChannel, isStreamEncoding } from '../../shared/wav.js';
import type { PacedItem, PreparedBody } from './feed.js';
import { BodySlicer } from './slices.js';
import type { ByteSource } from './body.js';
import { checkWavRate, type WavHeader } from './wav.js';
import { separateChannels } from '../pipeline/channels.js';
import type { AudioChunk } from '../pipeline/index.js';
import { resolveFormat, type StreamFormat } from '../session/start.js';

type Defaults = { hopMs: number; smoothing: number };

function pipelineFor(format: StreamFormat, encoding: StreamFormat['encoding']): PreparedBody['pipeline'] {
  return (open) => (items: Observable<PacedItem>) =>
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
 * A WAV body, its header read: its samples as they are when the protocol carries their
 * encoding (as a raw body); otherwise each channel decoded to float and sent as pcm_f32le,
 * slice by slice as the slices are fed, channels alternating.
 */
export function prepareSeparateWav(wav: WavHeader, body: ByteSource, fields: Record<string, unknown>, defaults: Defaults, sliceSeconds: number): PreparedBody {
  const rate = checkWavRate(wav.sampleRateHz);
  if (isStreamEncoding(wav.encoding)) {
    return prepareSeparateRaw(body, { ...fields, sampleRate: rate, encoding: wav.encoding, channels: wav.channels }, defaults, sliceSeconds, wav);
  }
  const format = resolveFormat({ ...fields, sampleRate: rate, encoding: 'pcm_f32le', channels: wav.channels }, defaults);
  const frameBytes = wav.blockAlign;
  const sliceFrames = Math.max(1, Math.round(rate * sliceSeconds));
  const slicer = new BodySlicer(body, { sliceBytes: sliceFrames * frameBytes, frameBytes, dataBytes: wav.dataBytes });
  /** The channels of the slice read last, not yet handed out. */
  const waiting: PacedItem[] = [];
  const next = async (): Promise<PacedItem | null> => {
    if (waiting.length === 0) {
      const part = await slicer.next();
      if (part === null) return null;
      const partFrames = part.length / frameBytes;
      for (let channel = 0; channel < format.channels; channel++) {
        waiting.push({
          chunk: () => ({ bytes: new Uint8Array(decodeInterleavedChannel(part, wav.encoding, wav.channels, channel).buffer), channel }),
          seconds: partFrames / rate / format.channels,
          channel,
          streamMs: (partFrames / rate) * 1000,
        });
      }
    }
    return waiting.shift() ?? null;
  };
  return { format, streams: format.channels, next, pipeline: pipelineFor(format, 'pcm_f32le') };
}

/**
 * A raw interleaved body described by the query, de-interleaved as a stream is; or the
 * samples of a WAV in a stream encoding (`wav`: its frames and data size).
 */
export function prepareSeparateRaw(
  body: ByteSource,
  fields: Record<string, unknown>,
  defaults: Defaults,
  sliceSeconds: number,
  wav?: Pick<WavHeader, 'blockAlign' | 'dataBytes'>,
): PreparedBody {
  const format = resolveFormat(fields, defaults);
  const bytesPerSecond = BYTES_PER_SAMPLE[format.encoding] * format.channels * format.sampleRateHz;
  const sliceBytes = Math.max(1, Math.round(bytesPerSecond * sliceSeconds));
  const slicer = new BodySlicer(body, { sliceBytes, frameBytes: wav?.blockAlign ?? 1, dataBytes: wav?.dataBytes ?? Number.POSITIVE_INFINITY });
  const next = async (): Promise<PacedItem | null> => {
    const bytes = await slicer.next();
    if (bytes === null) return null;
    const seconds = bytes.length / bytesPerSecond;
    return { chunk: () => ({ bytes }), seconds, streamMs: seconds * 1000 };
  };
  return { format, streams: format.channels, next, pipeline: pipelineFor(format, format.encoding) };
}
