/**
 * Messages between the main thread (server/model/batcher.ts) and an inference worker
 * (server/model/worker.ts). All hops of a tick travel packed in one transferred typed array
 * (pack.ts), and so do all results of a model call.
 */
import type { EngineChoice, ServerMode } from '../config.js';
import type { PackedHops, PackedResults } from './pack.js';

/** `workerData` of an inference worker. */
export interface WorkerInit {
  modelDir: string;
  engine: EngineChoice;
  mode: ServerMode;
  /** Most streams per model call, ≥ 1. */
  maxBatchStreams: number;
}

/** What the main thread needs to know about the loaded model. */
export interface ModelInfo {
  id: string;
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
}

/** One session's new frames; the worker answers with the session's probs after stepping them. */
export interface HopRequest {
  sessionId: string;
  requestId: number;
  /** n × numCoeffs raw MFCC, row-major. */
  frames: Float32Array;
  /** n voiced flags (0/1) from the VoicedGate. */
  voiced: Uint8Array;
}

export type ToWorker =
  | {
      type: 'work';
      /** Sessions to create state for (before any of their hops). */
      opens: string[];
      hops: PackedHops;
      /** Sessions whose state to release (after their hops). */
      closes: string[];
    }
  | { type: 'stats'; requestId: number };

export interface HopResult {
  sessionId: string;
  requestId: number;
  /** Distribution over labels after this hop's frames; null before the first model step. */
  probs: Float32Array | null;
  /** Frames of this session consumed so far, cumulative (stepped, or dropped by a silence reset). */
  framesConsumed: number;
  /** Set when the model call failed; the session ends with `internal`. */
  error?: string;
}

export type FromWorker =
  | { type: 'ready'; model: ModelInfo }
  | { type: 'init_failed'; message: string }
  | {
      type: 'results';
      results: PackedResults;
      /** One entry per model call made for these results: streams in it and its duration. */
      calls: { streams: number; seconds: number }[];
    }
  | { type: 'stats'; requestId: number; numTensors: number; sessions: number };
