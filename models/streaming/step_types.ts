/**
 * The request and result of one stream in a stepBatch call, shared by the runners
 * (fused_runner.ts, window_runner.ts) and the façade that picks between them (runner.ts).
 */

export interface StepRequest<S> {
  state: S;
  /** n × numCoeffs raw MFCC, row-major. */
  frames: Float32Array;
  /** n voiced flags (VoicedGate decisions), 0 or 1. */
  voiced: Uint8Array;
}

export interface StepResult {
  /** The model's output for the stream after this call; null before the segment's first step. */
  probs: Float32Array | null;
  /** Cumulative frames of this stream absorbed by model steps or dropped by a reset. */
  framesConsumed: number;
}

/** What every runner's per-stream state offers its owner. */
export interface StreamStateBase {
  /** Frames waiting for a full step (< stepFrames). */
  readonly pendingFrames: number;
  /** Consecutive unvoiced frames so far (see segment.ts). */
  readonly silenceRun: number;
  /** Frames received since creation / reset(). */
  readonly framesSeen: number;
  /** Frames absorbed by completed steps or dropped by a silence reset (≤ framesSeen). */
  readonly framesConsumed: number;
  /** Back to a fresh stream. */
  reset(): void;
  /** Releases what the state holds (no tensors in either runner). */
  dispose(): void;
}

/** Checks a request's frame count against its flags. */
export function checkFrames(frames: Float32Array, voiced: Uint8Array, numCoeffs: number): void {
  const n = voiced.length;
  if (frames.length !== n * numCoeffs) {
    throw new Error(`stepBatch: expected frames of ${n} × ${numCoeffs} = ${n * numCoeffs} values, got ${frames.length}`);
  }
}
