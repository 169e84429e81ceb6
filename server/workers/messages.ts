/**
 * Messages between the main thread (server/workers/batcher.ts, slot.ts) and an inference
 * worker (server/workers/worker.ts). Every stream's whole pipeline runs in a worker: the main
 * thread sends each stream's audio (a tick's audio of all streams in one transferred
 * buffer) and gets its results back (a turn's results of all streams in one message).
 */
import type { SkippedEngine } from '../../models/engine.js';
import type { VoicedGateConfig } from '../../shared/dsp/vad.js';
import type { ErrorCode } from '../../shared/error_codes.js';
import type { Encoding } from '../../shared/protocol.js';
import type { EngineChoice, ServerMode } from '../config.js';
import type { EmotionResult } from '../pipeline/contract.js';
import type { WorkerMemory } from './worker_memory.js';

/** `workerData` of an inference worker. */
export interface WorkerInit {
  modelDir: string;
  /** A model for 8 kHz streams (band.ts), sharing the main model's pipeline contract; absent or null = none. */
  narrowbandModelDir?: string | null;
  engine: EngineChoice;
  mode: ServerMode;
  /** Most streams per model call, ≥ 1. */
  maxBatchStreams: number;
  /** Least time between the starts of two model calls unless a batch is full, ms, ≥ 0. */
  batchWindowMs: number;
}

/** What the main thread needs to know about the loaded model. */
export interface ModelInfo {
  id: string;
  /** The narrowband model's id (streams at 8 kHz or less, band.ts); null when none is loaded. */
  narrowbandId: string | null;
  labels: string[];
  /** MFCC coefficients per frame. */
  numCoeffs: number;
  /** Feature frames per model step. */
  stepFrames: number;
  /** Steps in the attention window. */
  windowSteps: number;
  /** Unvoiced frames fed before a pause drops frames and resets the utterance (the step rule). */
  resetAfterSilenceFrames: number;
  /** Engine the worker runs on, as selectEngine named it. */
  engine: string;
  /** Engines tried and passed over before `engine`, with their reasons (models/engine.ts). */
  engineSkipped: SkippedEngine[];
  /** The VoicedGate the model was trained with (models/meta.ts voicedGateOf). */
  voicedGate: VoicedGateConfig;
}

/** A stream (a session, one channel of one, or an analysis) whose pipeline the worker runs. */
export interface PipelineOpen {
  sessionId: string;
  encoding: Encoding;
  channels: 1 | 2;
  inputRateHz: number;
  /** Hop, ms, 50–5000. */
  hopMs: number;
  /** EMA factor, 0–0.99. */
  smoothing: number;
}

/** A stream's audio is complete. */
export interface PipelineEnd {
  sessionId: string;
  /**
   * performance.now() on the main thread when its input completed: the final hop's
   * arrival (the main thread's clock, as every chunk's `arrivedAtMs`).
   */
  endedAtMs: number;
}

/** Audio messages of pipeline sessions, in arrival order, back to back in one buffer. */
export interface PackedAudio {
  items: { sessionId: string; byteLength: number; arrivedAtMs: number }[];
  bytes: Uint8Array;
}

export type ToWorker =
  | {
      type: 'work';
      /** Streams to start (before any of their audio). */
      opens: PipelineOpen[];
      /** Absent when the tick posted none (each transferred buffer costs a few µs, even empty). */
      audio?: PackedAudio;
      /** Streams whose audio is complete (after their audio). */
      ends: PipelineEnd[];
      /** Streams to release, model state and pipeline (after their audio). */
      closes: string[];
    }
  | { type: 'stats'; requestId: number };

/** One worker's live tensors, open streams and memory (worker_memory.ts), read at its turn. */
export interface WorkerStats extends WorkerMemory {
  numTensors: number;
  sessions: number;
}

/** What a worker that died before answering counts for. */
export const NO_WORKER_STATS: WorkerStats = Object.freeze({ numTensors: 0, sessions: 0, heapUsedBytes: 0, externalBytes: 0, wasmBytes: 0 });

/** What a pipeline session produced, in order. */
export type PipelineEvent =
  | { kind: 'result'; sessionId: string; result: EmotionResult }
  | { kind: 'error'; sessionId: string; code: ErrorCode; message: string }
  | { kind: 'complete'; sessionId: string };

/** One model call: streams in it and its duration, s. */
export interface ModelCall {
  streams: number;
  seconds: number;
}

export type FromWorker =
  | { type: 'ready'; model: ModelInfo }
  | { type: 'init_failed'; message: string }
  | {
      /** The streams' results, errors and completions since the last such message: the one result message. */
      type: 'events';
      events: PipelineEvent[];
      /** Model calls made since the last message: streams in each and its duration. */
      calls: ModelCall[];
      /** Audio pushed through the pipelines since the last message, and the time it took, s. */
      dsp: { audioSeconds: number; seconds: number };
    }
  | ({ type: 'stats'; requestId: number } & WorkerStats);
