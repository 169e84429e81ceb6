/**
 * Every session's model state in this worker, created on open and released on close:
 * a `StreamState` per session in streaming mode, a `NaiveWindow` (its last frames) in naive
 * mode. `round()` runs the scheduler's requests through the mode's round and settles them.
 */
import type { LoadedModel } from '../../models/io.js';
import { createStreamState, type StreamState } from '../../models/streaming/runner.js';
import { naiveWindowFrames } from '../../models/streaming/span.js';
import type { ServerMode } from '../config.js';
import type { ModelCall } from './messages.js';
import { NaiveWindow } from './naive_window.js';
import { naiveRound, streamingRound, type StepRequest } from './rounds.js';

export class ModelStreams {
  private readonly streams = new Map<string, StreamState>();
  private readonly naive = new Map<string, NaiveWindow>();
  /** The attention window for cnn-attn-lstm, the training span for the other architectures (naive mode). */
  private readonly windowFrames: number;
  /** Flags for a whole naive window, every frame fed to the model. */
  private readonly allVoiced: Uint8Array;

  constructor(
    private readonly model: LoadedModel,
    private readonly mode: ServerMode,
  ) {
    this.windowFrames = naiveWindowFrames(model);
    this.allVoiced = new Uint8Array(this.windowFrames).fill(1);
  }

  /** Sessions holding state. */
  get size(): number {
    return this.streams.size + this.naive.size;
  }

  has(sessionId: string): boolean {
    return this.streams.has(sessionId) || this.naive.has(sessionId);
  }

  create(sessionId: string): void {
    if (this.mode === 'naive') this.naive.set(sessionId, new NaiveWindow(this.model.meta.featureConfig.numCoeffs, this.windowFrames));
    else this.streams.set(sessionId, createStreamState(this.model));
  }

  release(sessionId: string): void {
    const state = this.streams.get(sessionId) as (StreamState & { dispose?: () => void }) | undefined;
    state?.dispose?.();
    this.streams.delete(sessionId);
    this.naive.delete(sessionId);
  }

  /** One model round over the requests (at most one per session), each answered in place; the model calls made. */
  round(taken: readonly StepRequest[]): ModelCall[] {
    return this.mode === 'naive'
      ? naiveRound(this.model, this.naive, taken, this.allVoiced)
      : streamingRound(this.model, this.streams, taken);
  }
}
