/**
 * The pipeline a WebSocket session's audio goes through: one mono stream (mono_stream.ts,
 * in the thread layout `dspThread` asks for), or with channelMode 'separate' one per
 * channel (model stream id `<sessionId>#<channel>`), their results merged
 * (pipeline/channels.ts). A stream whose worker crashes is resumed on another; `recovery`
 * hears of it per channel (undefined with 'mix').
 */
import { pipe, type OperatorFunction } from 'rxjs';
import { BYTES_PER_SAMPLE } from '../../shared/dsp/pcm_decode.js';
import type { DspThread } from '../config.js';
import type { InferencePool } from '../model/batcher.js';
import { separateChannels, untagged, type ChannelResult } from '../pipeline/channels.js';
import type { AudioChunk } from '../pipeline/index.js';
import { monoStreams, type StreamRecovery } from './mono_stream.js';
import type { StreamFormat } from './start.js';

export interface SessionPipeline {
  pipeline: OperatorFunction<AudioChunk, ChannelResult>;
  /** Closes the model streams opened on this thread ('main'; 'worker' closes on unsubscribe). Idempotent. */
  close(): void;
}

export function sessionPipeline(
  pool: InferencePool,
  dspThread: DspThread,
  sessionId: string,
  format: StreamFormat,
  recovery: (channel: number | undefined) => StreamRecovery,
): SessionPipeline {
  const streams = monoStreams(pool, dspThread);
  const mono = { sampleRateHz: format.sampleRateHz, hopMs: format.hopMs, smoothing: format.smoothing };
  const close = (): void => streams.close();
  if (format.channelMode === 'mix') {
    const whole = streams.open(sessionId, { ...mono, encoding: format.encoding, channels: format.channels }, recovery(undefined));
    return { pipeline: pipe(whole, untagged()), close };
  }
  const pipeline = separateChannels({
    channels: format.channels,
    sampleBytes: BYTES_PER_SAMPLE[format.encoding],
    sampleRateHz: format.sampleRateHz,
    labels: format.channelLabels,
    open: (channel) => streams.open(`${sessionId}#${channel}`, { ...mono, encoding: format.encoding, channels: 1 }, recovery(channel)),
  });
  return { pipeline, close };
}
