/**
 * The pipeline a WebSocket session's audio goes through: one mono stream (mono_stream.ts,
 * in an inference worker), or with channelMode 'separate' one per channel (model stream id
 * `<sessionId>#<channel>`), their results merged (pipeline/channels.ts). A stream whose
 * worker crashes is resumed on another; `recovery` hears of it per channel (undefined with
 * 'mix'). Unsubscribing releases every stream.
 */
import { pipe, type OperatorFunction } from 'rxjs';
import { BYTES_PER_SAMPLE } from '../../shared/dsp/pcm_decode.js';
import type { InferencePool } from '../workers/batcher.js';
import { separateChannels, untagged, type ChannelResult } from '../pipeline/channels.js';
import type { AudioChunk } from '../pipeline/index.js';
import { monoStream, type StreamRecovery } from './mono_stream.js';
import type { StreamFormat } from './start.js';

export function sessionPipeline(
  pool: InferencePool,
  sessionId: string,
  format: StreamFormat,
  recovery: (channel: number | undefined) => StreamRecovery,
): OperatorFunction<AudioChunk, ChannelResult> {
  const mono = { sampleRateHz: format.sampleRateHz, hopMs: format.hopMs, smoothing: format.smoothing };
  if (format.channelMode === 'mix') {
    return pipe(monoStream(pool, sessionId, { ...mono, encoding: format.encoding, channels: format.channels }, recovery(undefined)), untagged());
  }
  return separateChannels({
    channels: format.channels,
    sampleBytes: BYTES_PER_SAMPLE[format.encoding],
    sampleRateHz: format.sampleRateHz,
    labels: format.channelLabels,
    open: (channel) => monoStream(pool, `${sessionId}#${channel}`, { ...mono, encoding: format.encoding, channels: 1 }, recovery(channel)),
  });
}
