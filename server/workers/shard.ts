/**
 * The streams (WebSocket sessions, their channels, analyses) whose whole pipeline runs in
 * this inference worker: each keeps its own RxJS pipeline (features — the shared/dsp feature
 * chain — → hop → infer → smooth → result, server/pipeline/), fed with the audio bytes the main thread
 * received. Its `infer` stage hands each hop to the worker's batch queue by a direct call
 * (`step`), so the model steps every stream of the worker in one call. Why here: MFCC and
 * the per-chunk stages were the main thread's largest cost (BENCHMARKS.md); in the worker
 * they run beside the model state and off the event loop that serves the sockets.
 *
 * Clocks: `arrivedAtMs` of every chunk, and the end time of the input, are the main
 * thread's performance.now(); the final hop is stamped with that end time, so every
 * result's latency is measured on the main thread's clock.
 */
import { Subject, type Subscription } from 'rxjs';
import { BYTES_PER_SAMPLE } from '../../shared/dsp/pcm_decode.js';
import { ProtocolError } from '../../shared/error_codes.js';
import type { StepRule } from '../../models/streaming/step_clock.js';
import type { AudioChunk, StepOutcome } from '../pipeline/contract.js';
import { audioToResults } from '../pipeline/index.js';
import type { VoicedGateConfig } from '../../shared/dsp/vad.js';
import type { PipelineEvent, PipelineOpen } from './messages.js';

export interface ShardDeps {
  labels: readonly string[];
  /** The model's VoicedGate (voicedGateOf(meta)). */
  voicedGate: VoicedGateConfig;
  /** The model's step grid (streaming mode) or undefined (naive mode). */
  stepRule: StepRule | undefined;
  /** Feature coefficients per frame (meta.featureConfig.numCoeffs). */
  numCoeffs: number;
  /** Floor under the mel powers (featureSettingsOf(meta).logFloor). */
  logFloor: number;
  /** The model reads the pitch columns (featureSettingsOf(meta).pitch); default off. */
  pitch?: boolean;
  /** Hands one hop of the stream to the batch queue; settles after the round that steps it. */
  step(sessionId: string, frames: Float32Array, voiced: Uint8Array): Promise<StepOutcome>;
  emit(event: PipelineEvent): void;
}

interface ShardSession {
  input: Subject<AudioChunk>;
  subscription: Subscription;
  bytesPerSecond: number;
  /** When the input ended, on the main thread's clock (set by `end`). */
  ended: { atMs: number };
}

export class PipelineShard {
  private readonly sessions = new Map<string, ShardSession>();
  /** Audio pushed and time spent pushing it, since the last `takeDsp()`. */
  private audioSeconds = 0;
  private dspSeconds = 0;

  constructor(private readonly deps: ShardDeps) {}

  get size(): number {
    return this.sessions.size;
  }

  open(o: PipelineOpen): void {
    const { deps } = this;
    const input = new Subject<AudioChunk>();
    const ended = { atMs: Number.NaN };
    const stream = {
      sessionId: o.sessionId,
      stepRule: deps.stepRule,
      numCoeffs: deps.numCoeffs,
      step: (frames: Float32Array, voiced: Uint8Array) => deps.step(o.sessionId, frames, voiced),
      close: () => undefined,
    };
    // Nothing is emitted before the first push, so the session is registered in time.
    const params = { ...o, labels: deps.labels, voicedGate: deps.voicedGate, logFloor: deps.logFloor, pitch: deps.pitch, stream, inputEndedAtMs: () => ended.atMs };
    const subscription = input.pipe(audioToResults(params)).subscribe({
      next: (result) => deps.emit({ kind: 'result', sessionId: o.sessionId, result }),
      error: (err: unknown) => {
        this.sessions.delete(o.sessionId);
        // Only protocol errors carry a message meant for the client.
        const e = err instanceof ProtocolError ? err : new ProtocolError('internal', 'internal error; the session was closed');
        deps.emit({ kind: 'error', sessionId: o.sessionId, code: e.code, message: e.message });
      },
      complete: () => {
        this.sessions.delete(o.sessionId);
        deps.emit({ kind: 'complete', sessionId: o.sessionId });
      },
    });
    this.sessions.set(o.sessionId, { input, subscription, bytesPerSecond: BYTES_PER_SAMPLE[o.encoding] * o.channels * o.inputRateHz, ended });
  }

  /** Feeds one audio message (synchronously through decode … hop). */
  push(sessionId: string, bytes: Uint8Array, arrivedAtMs: number): void {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return;
    const started = performance.now();
    session.input.next({ bytes, arrivedAtMs });
    this.dspSeconds += (performance.now() - started) / 1000;
    this.audioSeconds += bytes.length / session.bytesPerSecond;
  }

  /**
   * No more audio: the pipeline flushes, the final result and `complete` follow.
   * `endedAtMs`: when the input ended, on the clock of the chunks' `arrivedAtMs` (the final hop's arrival).
   */
  end(sessionId: string, endedAtMs = performance.now()): void {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return;
    session.ended.atMs = endedAtMs;
    session.input.complete();
  }

  /** Drops the session's pipeline (nothing more is emitted for it). Idempotent. */
  close(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return;
    this.sessions.delete(sessionId);
    session.subscription.unsubscribe();
  }

  /** DSP totals since the last call, then reset. */
  takeDsp(): { audioSeconds: number; seconds: number } {
    const dsp = { audioSeconds: this.audioSeconds, seconds: this.dspSeconds };
    this.audioSeconds = 0;
    this.dspSeconds = 0;
    return dsp;
  }
}
