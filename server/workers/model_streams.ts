/**
 * Every session's model state in this worker, created on open and released on close:
 * a `StreamState` per session in streaming mode, a `NaiveWindow` (its last frames) in naive
 * mode. A worker serves one model, or two: the main one and a narrowband one for 8 kHz
 * streams (band.ts), each session's state belonging to the model chosen at its open.
 * `round()` runs the scheduler's requests through the mode's round, one model call per
 * model, and settles them.
 */
import type { LoadedModel } from '../../models/io.js';
import { createStreamState, type StreamState } from '../../models/streaming/runner.js';
import { naiveWindowFrames } from '../../models/streaming/span.js';
import type { ServerMode } from '../config.js';
import type { ModelCall } from './messages.js';
import { NaiveWindow } from './naive_window.js';
import { naiveRound, streamingRound, type StepRequest } from './rounds.js';

/** One model's sessions. */
class ModelGroup {
  readonly streams = new Map<string, StreamState>();
  readonly naive = new Map<string, NaiveWindow>();
  /** The attention window for cnn-attn-lstm, the training span for the other architectures (naive mode). */
  private readonly windowFrames: number;
  /** Flags for a whole naive window, every frame fed to the model. */
  private readonly allVoiced: Uint8Array;

  constructor(
    readonly model: LoadedModel,
    private readonly mode: ServerMode,
  ) {
    this.windowFrames = naiveWindowFrames(model);
    this.allVoiced = new Uint8Array(this.windowFrames).fill(1);
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

  round(taken: readonly StepRequest[]): ModelCall[] {
    return this.mode === 'naive' ? naiveRound(this.model, this.naive, taken, this.allVoiced) : streamingRound(this.model, this.streams, taken);
  }
}

export class ModelStreams {
  private readonly main: ModelGroup;
  private readonly narrow: ModelGroup | null;
  /** The group of each session. */
  private readonly groupOf = new Map<string, ModelGroup>();

  /** `narrowband`: the model for sessions opened as narrowband; null = the main model serves every session. */
  constructor(model: LoadedModel, narrowband: LoadedModel | null, mode: ServerMode) {
    this.main = new ModelGroup(model, mode);
    this.narrow = narrowband === null ? null : new ModelGroup(narrowband, mode);
  }

  /** Sessions holding state. */
  get size(): number {
    return this.groupOf.size;
  }

  has(sessionId: string): boolean {
    return this.groupOf.get(sessionId)?.has(sessionId) ?? false;
  }

  /** `narrowband`: served by the narrowband model (band.ts decides; ignored when none is loaded). */
  create(sessionId: string, narrowband = false): void {
    const group = narrowband && this.narrow !== null ? this.narrow : this.main;
    group.create(sessionId);
    this.groupOf.set(sessionId, group);
  }

  release(sessionId: string): void {
    this.groupOf.get(sessionId)?.release(sessionId);
    this.groupOf.delete(sessionId);
  }

  /** One model round over the requests (at most one per session), each answered in place; the model calls made. */
  round(taken: readonly StepRequest[]): ModelCall[] {
    if (this.narrow === null) return this.main.round(taken);
    const narrow = this.narrow;
    const mine = taken.filter((r) => this.groupOf.get(r.sessionId) !== narrow);
    const theirs = taken.filter((r) => this.groupOf.get(r.sessionId) === narrow);
    return [...(mine.length > 0 ? this.main.round(mine) : []), ...(theirs.length > 0 ? narrow.round(theirs) : [])];
  }
}
