/**
 * The pipeline a WebSocket session's audio goes through, by `dspThread`: the whole chain in
 * the inference worker that holds the session's model state ('worker', via `remote`), or
 * decode … hop on this thread with model steps sent to the worker ('main').
 */
import type { OperatorFunction } from 'rxjs';
import type { DspThread } from '../config.js';
import type { InferencePool, InferenceStream } from '../model/batcher.js';
import { audioToResults, type AudioChunk, type EmotionResult } from '../pipeline/index.js';
import { remote } from '../pipeline/remote.js';
import type { StreamFormat } from './start.js';

export interface SessionPipeline {
  pipeline: OperatorFunction<AudioChunk, EmotionResult>;
  /** The model stream to close when the session ends ('main' only; 'worker' closes on unsubscribe). */
  stream: InferenceStream | null;
}

export function sessionPipeline(pool: InferencePool, dspThread: DspThread, sessionId: string, format: StreamFormat): SessionPipeline {
  const params = {
    encoding: format.encoding,
    channels: format.channels,
    inputRateHz: format.sampleRateHz,
    hopMs: format.hopMs,
    smoothing: format.smoothing,
  };
  if (dspThread === 'worker') {
    return { pipeline: remote((handlers) => pool.openPipeline({ sessionId, ...params }, handlers)), stream: null };
  }
  const stream = pool.open(sessionId);
  return { pipeline: audioToResults({ ...params, labels: pool.model.labels, voicedGate: pool.model.voicedGate, stream }), stream };
}
