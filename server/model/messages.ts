/**
 * Messages between the main thread (server/model/batcher.ts) and an inference worker
 * (server/model/worker.ts). All hops of a tick travel packed in one transferred typed array
 * (pack.ts), and so do all results of a model call.
 */
import type { SkippedEngine } from '../../models/engine.js';
import type { VoicedGateConfig } from '../../shared/dsp/vad.js';
import type { ErrorCode } from '../../shared/error_codes.js';
import type { Encoding } from '../../shared/protocol.js';
import type { EngineChoice, ServerMode } from '../config.js';
import type { EmotionResult } from '../pipeline/contract.js';

/** `workerData` of an inference worker. */
export interface WorkerInit {
  modelDir: string;
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

/** One session's new frames; the worker answers with the session's probs after stepping them. */
export interface HopRequest {
  sessionId: string;
  requestId: number;
  /** n × numCoeffs raw MFCC, row-major. */
  frames: Float32Array;
  /** n voiced flags (0/1) from the VoicedGate. */
  voiced: Uint8Array;
}

/** A tick's hops, packed by pack.ts: one typed array of frames, one of flags, per-hop row counts. */
export interface PackedHops {
  items: { sessionId: string; requestId: number; frameCount: number }[];
  /** Every hop's frames back to back, rows of numCoeffs. */
  frames: Float32Array;
  /** Every hop's voiced flags back to back. */
  voiced: Uint8Array;
}

/** A call's results, packed by pack.ts: one typed array of probabilities. */
export interface PackedResults {
  items: { sessionId: string; requestId: number; hasProbs: boolean; framesConsumed: number; error?: string }[];
  /** items.length × numLabels; rows of items without probs are zeros. */
  probs: Float32Array;
  numLabels: number;
}

/** A WebSocket session whose whole pipeline runs in the worker (dspThread 'worker'). */
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

/** Audio messages of pipeline sessions, in arrival order, back to back in one buffer. */
export interface PackedAudio {
  items: { sessionId: string; byteLength: number; arrivedAtMs: number }[];
  bytes: Uint8Array;
}

export type ToWorker =
  | {
      type: 'work';
      /** Sessions to create state for (before any of their hops). */
      opens: string[];
      /** Pipeline sessions to start (before any of their audio). */
      pipelineOpens: PipelineOpen[];
      /** Absent when the tick posted none (each transferred buffer costs a few µs, even empty). */
      hops?: PackedHops;
      /** Absent when the tick posted none. */
      audio?: PackedAudio;
      /** Pipeline sessions whose audio is complete (after their audio). */
      pipelineEnds: string[];
      /** Sessions whose state (and pipeline) to release (after their hops and audio). */
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
      type: 'results';
      results: PackedResults;
      /** One entry per model call made for these results: streams in it and its duration. */
      calls: { streams: number; seconds: number }[];
    }
  | {
      type: 'pipeline';
      events: PipelineEvent[];
      /** Model calls that served only in-worker sessions since the last message. */
      calls: ModelCall[];
      /** Audio pushed through the pipelines since the last such message, and the time it took, s. */
      dsp: { audioSeconds: number; seconds: number };
    }
  | { type: 'stats'; requestId: number; numTensors: number; sessions: number };
