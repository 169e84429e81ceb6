/**
 * What the worker sends back besides `ready` and stats: each round's results for the main
 * thread's sessions as one packed, transferred array with the round's model calls; and the
 * pipeline sessions' events (results, errors, completions), gathered into one message per
 * event-loop turn with the model calls made only for them and the DSP time they took.
 */
import type { FromWorker, HopResult, ModelCall, PipelineEvent } from './messages.js';
import type { LocalSteps } from './local_steps.js';
import { packResults } from './pack.js';

export interface OutboxDeps {
  post(message: FromWorker, transfer?: ArrayBuffer[]): void;
  numLabels: number;
  /** Where in-thread results go. */
  local: LocalSteps;
  /** Audio pushed through the pipelines since the last call, s, and the time it took, s. */
  takeDsp(): { audioSeconds: number; seconds: number };
}

export class WorkerOutbox {
  private events: PipelineEvent[] = [];
  /** Model calls made only for in-thread requests: reported with the next events. */
  private localCalls: ModelCall[] = [];
  private flushScheduled = false;

  constructor(private readonly deps: OutboxDeps) {}

  /** A round's results and model calls: in-thread ones settled here, the rest posted. */
  results(all: readonly HopResult[], calls: ModelCall[]): void {
    const results = this.deps.local.settle(all);
    if (results.length === 0) {
      // Only in-thread sessions: their results leave with the events, so do the call stats.
      if (calls.length > 0) {
        this.localCalls.push(...calls);
        this.scheduleFlush();
      }
      return;
    }
    const packed = packResults(results, this.deps.numLabels);
    this.deps.post({ type: 'results', results: packed, calls }, [packed.probs.buffer as ArrayBuffer]);
  }

  /** One pipeline session's event, sent with the others of this turn. */
  event(event: PipelineEvent): void {
    this.events.push(event);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // One message per event-loop turn carries every session's results.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    this.deps.post({ type: 'pipeline', events: this.events, calls: this.localCalls, dsp: this.deps.takeDsp() });
    this.events = [];
    this.localCalls = [];
  }
}
