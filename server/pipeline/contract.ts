/**
 * The contract between the per-stream pipeline (this folder) and the inference worker pool
 * (server/workers/): the types both sides use, in one file. The workers host pipelines
 * (shard.ts) and give each an `InferenceStream` onto their batch queue; the main thread
 * reaches a pipeline through a `RemotePipeline` (remote.ts). The pipeline only ever sees
 * these interfaces, so server/pipeline imports nothing from server/workers and the dependency
 * runs one way (model → pipeline).
 */
import type { StepRule } from '../../models/streaming/step_clock.js';
import type { EmotionMessage } from '../../shared/protocol.js';

/** A binary WebSocket message (or a slice of an HTTP body) in the stream's encoding. */
export interface AudioChunk {
  bytes: Uint8Array;
  arrivedAtMs: number;
  /**
   * channelMode 'separate' only: the channel these bytes already belong to (a telephony
   * track), so they are not de-interleaved; undefined for interleaved audio.
   */
  channel?: number;
}

/** One hop's result as the pipeline emits it (the protocol message plus its timing). */
export interface EmotionResult {
  message: EmotionMessage;
  /** performance.now() when the audio that completed this hop arrived. */
  arrivedAtMs: number;
  /** Stream time covered through this hop, ms (for the summary and the backlog). */
  hopEndMs: number;
}

/** One hop's answer: the model's distribution and how far it has read the stream. */
export interface StepOutcome {
  /** The model's distribution after the frames, in label order; null before its first step. */
  probs: Float32Array | null;
  /** Frames of the stream consumed so far, cumulative (stepped, or dropped by a silence reset). */
  framesConsumed: number;
}

/** One stream's handle on the model, in its worker: ordered steps, then close. */
export interface InferenceStream {
  readonly sessionId: string;
  /**
   * The step grid the worker runs this stream on (streaming mode), so the hop stage can
   * answer as soon as no step can complete inside a hop; undefined when every hop re-reads
   * all its frames (naive mode).
   */
  readonly stepRule?: StepRule;
  /** Feature coefficients per frame the model reads (its meta.featureConfig.numCoeffs). */
  readonly numCoeffs: number;
  /** Steps n frames (n × numCoeffs values, n voiced flags); the arrays are copied when sent. */
  step(frames: Float32Array, voiced: Uint8Array): Promise<StepOutcome>;
  /** Releases the session's state in the worker. Idempotent. */
  close(): void;
}

/** Where a stream's output goes on the main thread (an RxJS subscriber, in practice). */
export interface PipelineHandlers {
  next(result: EmotionResult): void;
  error(err: Error): void;
  complete(): void;
}

/** A stream's handle on its pipeline in a worker: its audio in, in order; then end, or close to drop it. */
export interface RemotePipeline {
  push(chunk: AudioChunk): void;
  /**
   * No more audio; the final result and completion follow. `endedAtMs`: when the input
   * ended, on the clock of the chunks' `arrivedAtMs` (the final hop's arrival).
   */
  end(endedAtMs: number): void;
  /** Releases the session in the worker; nothing more is delivered. Idempotent. */
  close(): void;
}
