/**
 * The pipeline a WebSocket session's audio goes through, by `dspThread`: the whole chain in
 * the inference worker that holds the session's model state ('worker', via `remote`), or
 * decode … hop on this thread with model steps sent to the worker ('main').
 *
 * With channelMode 'separate' each channel gets that pipeline of its own, as a mono stream
 * (model stream id `<sessionId>#<channel>`), and the results are merged (pipeline/channels.ts).
 */
import { pipe, type OperatorFunction } from 'rxjs';
import { BYTES_PER_SAMPLE } from '../../shared/dsp/pcm_decode.js';
import type { DspThread } from '../config.js';
import type { InferencePool, InferenceStream } from '../model/batcher.js';
import { separateChannels, untagged, type ChannelResult } from '../pipeline/channels.js';
import { audioToResults, type AudioChunk, type EmotionResult } from '../pipeline/index.js';
import { remote } from '../pipeline/remote.js';
import type { StreamFormat } from './start.js';

export interface SessionPipeline {
  pipeline: OperatorFunction<AudioChunk, ChannelResult>;
  /** Closes the model streams opened on this thread ('main'; 'worker' closes on unsubscribe). Idempotent. */
  close(): void;
}

export function sessionPipeline(pool: InferencePool, dspThread: DspThread, sessionId: string, format: StreamFormat): SessionPipeline {
  const streams: InferenceStream[] = [];
  const mono = (id: string, channels: 1 | 2): OperatorFunction<AudioChunk, EmotionResult> => {
    const params = {
      encoding: format.encoding,
      channels,
      inputRateHz: format.sampleRateHz,
      hopMs: format.hopMs,
      smoothing: format.smoothing,
    };
    if (dspThread === 'worker') return remote((handlers) => pool.openPipeline({ sessionId: id, ...params }, handlers));
    const stream = pool.open(id);
    streams.push(stream);
    return audioToResults({ ...params, labels: pool.model.labels, voicedGate: pool.model.voicedGate, stream });
  };
  const close = (): void => {
    for (const s of streams.splice(0)) s.close();
  };
  if (format.channelMode === 'mix') return { pipeline: pipe(mono(sessionId, format.channels), untagged()), close };
  const pipeline = separateChannels({
    channels: format.channels,
    sampleBytes: BYTES_PER_SAMPLE[format.encoding],
    sampleRateHz: format.sampleRateHz,
    labels: format.channelLabels,
    open: (channel) => mono(`${sessionId}#${channel}`, 1),
  });
  return { pipeline, close };
}
