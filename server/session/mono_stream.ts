/**
 * One mono stream of a session or an analysis — a model stream with its pipeline — in the
 * thread layout asked for: the whole chain in the inference worker that holds the stream's
 * model state ('worker', via `remote`), or decode … hop on this thread with each hop's
 * features sent to the worker ('main'). Either way the stream outlives a crashed worker: it
 * is resumed on a live one (pipeline/resume.ts), and the caller hears of it.
 */
import type { OperatorFunction } from 'rxjs';
import { BYTES_PER_SAMPLE } from '../../shared/dsp/pcm_decode.js';
import type { Encoding } from '../../shared/protocol.js';
import type { DspThread } from '../config.js';
import type { InferencePool, InferenceStream } from '../model/batcher.js';
import { WorkerFailedError } from '../model/slot.js';
import { audioToResults, type AudioChunk, type EmotionResult } from '../pipeline/index.js';
import { remote } from '../pipeline/remote.js';
import { resumable, type Resumed } from '../pipeline/resume.js';

/**
 * Most times one stream is resumed. Audio fed to a crashed worker is not replayed, so the
 * same audio cannot kill two workers; the bound is for a stream whose later audio keeps
 * doing so (or a pool whose workers keep dying), which then ends with its error.
 */
export const MAX_RESUMES_PER_STREAM = 3;

/** What one mono stream is fed. */
export interface MonoFormat {
  encoding: Encoding;
  /** Interleaved channels, averaged to mono. */
  channels: 1 | 2;
  sampleRateHz: number;
  /** Hop, ms, 50–5000. */
  hopMs: number;
  /** EMA factor, 0–0.99. */
  smoothing: number;
}

/** Told when a stream's worker crashed: resumed elsewhere, or ended (final result, then the error). */
export interface StreamRecovery {
  onResumed(resumed: Resumed): void;
  onEnded(lost: { lostMs: number }): void;
}

export interface MonoStreams {
  /** The pipeline of model stream `streamId` (opened on subscription). */
  open(streamId: string, format: MonoFormat, recovery: StreamRecovery): OperatorFunction<AudioChunk, EmotionResult>;
  /** Closes the model streams opened on this thread ('main'; 'worker' closes on unsubscribe). Idempotent. */
  close(): void;
}

export function monoStreams(pool: InferencePool, layout: DspThread): MonoStreams {
  const streams: InferenceStream[] = [];
  const fresh = (streamId: string, f: MonoFormat): OperatorFunction<AudioChunk, EmotionResult> => {
    const params = { encoding: f.encoding, channels: f.channels, inputRateHz: f.sampleRateHz, hopMs: f.hopMs, smoothing: f.smoothing };
    if (layout === 'worker') return remote((handlers) => pool.openPipeline({ sessionId: streamId, ...params }, handlers));
    const stream = pool.open(streamId);
    streams.push(stream);
    return audioToResults({ ...params, labels: pool.model.labels, voicedGate: pool.model.voicedGate, stream });
  };
  return {
    open: (streamId, format, recovery) =>
      resumable({
        open: () => fresh(streamId, format),
        isWorkerLoss: (err) => err instanceof WorkerFailedError,
        frameBytes: BYTES_PER_SAMPLE[format.encoding] * format.channels,
        sampleRateHz: format.sampleRateHz,
        labels: pool.model.labels,
        maxResumes: MAX_RESUMES_PER_STREAM,
        onResumed: (resumed) => recovery.onResumed(resumed),
        onEnded: (lost) => recovery.onEnded(lost),
      }),
    close: () => {
      for (const s of streams.splice(0)) s.close();
    },
  };
}
