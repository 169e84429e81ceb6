/**
 * One mono stream of a session or an analysis — a model stream with its whole pipeline,
 * run in the inference worker that holds its model state (`remote`, server/workers/shard.ts).
 * The stream outlives a crashed worker: it is resumed on a live one (pipeline/resume.ts),
 * and the caller hears of it.
 */
import type { OperatorFunction } from 'rxjs';
import { BYTES_PER_SAMPLE } from '../../shared/dsp/pcm_decode.js';
import type { Encoding } from '../../shared/protocol.js';
import type { InferencePool } from '../workers/batcher.js';
import { WorkerFailedError } from '../workers/slot.js';
import type { AudioChunk, EmotionResult } from '../pipeline/index.js';
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

/** The pipeline of model stream `streamId` (opened on subscription, released on unsubscribe). */
export function monoStream(pool: InferencePool, streamId: string, f: MonoFormat, recovery: StreamRecovery): OperatorFunction<AudioChunk, EmotionResult> {
  const open = { sessionId: streamId, encoding: f.encoding, channels: f.channels, inputRateHz: f.sampleRateHz, hopMs: f.hopMs, smoothing: f.smoothing };
  return resumable({
    open: () => remote((handlers) => pool.openPipeline(open, handlers)),
    isWorkerLoss: (err) => err instanceof WorkerFailedError,
    frameBytes: BYTES_PER_SAMPLE[f.encoding] * f.channels,
    sampleRateHz: f.sampleRateHz,
    labels: pool.model.labels,
    maxResumes: MAX_RESUMES_PER_STREAM,
    onResumed: (resumed) => recovery.onResumed(resumed),
    onEnded: (lost) => recovery.onEnded(lost),
  });
}
