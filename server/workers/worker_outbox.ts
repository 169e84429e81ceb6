/**
 * What the worker sends back besides `ready` and stats: its streams' events (results,
 * errors, completions), gathered into ONE message per event-loop turn with the model calls
 * made since the last one and the DSP time the pipelines took.
 */
import type { FromWorker, ModelCall, PipelineEvent } from './messages.js';

export interface OutboxDeps {
  post(message: FromWorker): void;
  /** Audio pushed through the pipelines since the last call, s, and the time it took, s. */
  takeDsp(): { audioSeconds: number; seconds: number };
}

export class WorkerOutbox {
  private events: PipelineEvent[] = [];
  private calls: ModelCall[] = [];
  private flushScheduled = false;

  constructor(private readonly deps: OutboxDeps) {}

  /** A round's model calls, sent with the next events. */
  modelCalls(calls: readonly ModelCall[]): void {
    if (calls.length === 0) return;
    this.calls.push(...calls);
    this.scheduleFlush();
  }

  /** One stream's event, sent with the others of this turn. */
  event(event: PipelineEvent): void {
    this.events.push(event);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // One message per event-loop turn carries every stream's results.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    this.deps.post({ type: 'events', events: this.events, calls: this.calls, dsp: this.deps.takeDsp() });
    this.events = [];
    this.calls = [];
  }
}
