/**
 * Hops of the pipeline sessions hosted in this worker (shard.ts): they join the same batched
 * rounds as the main thread's hops, under negative request ids, and are answered here
 * without crossing a thread.
 */
import { ProtocolError } from '../../shared/error_codes.js';
import type { StepOutcome } from '../pipeline/contract.js';
import type { HopRequest, HopResult } from './messages.js';

interface Waiter {
  resolve: (outcome: StepOutcome) => void;
  reject: (err: Error) => void;
}

export class LocalSteps {
  /** In-thread requests awaiting their round, by (negative) request id. */
  private readonly waiters = new Map<number, Waiter>();
  private nextId = -1;

  /** Requests awaiting an answer. */
  get size(): number {
    return this.waiters.size;
  }

  /** A new in-thread request and the promise its result settles. */
  request(sessionId: string, frames: Float32Array, voiced: Uint8Array): { request: HopRequest; outcome: Promise<StepOutcome> } {
    const requestId = this.nextId--;
    const outcome = new Promise<StepOutcome>((resolve, reject) => this.waiters.set(requestId, { resolve, reject }));
    return { request: { sessionId, requestId, frames, voiced }, outcome };
  }

  /** Settles the in-thread results; returns the others, which belong to the main thread. */
  settle(results: readonly HopResult[]): HopResult[] {
    const remote: HopResult[] = [];
    for (const r of results) {
      const waiter = r.requestId < 0 ? this.waiters.get(r.requestId) : undefined;
      if (waiter === undefined) {
        remote.push(r);
        continue;
      }
      this.waiters.delete(r.requestId);
      if (r.error !== undefined) waiter.reject(new ProtocolError('internal', 'the model failed on this stream'));
      else waiter.resolve({ probs: r.probs, framesConsumed: r.framesConsumed });
    }
    return remote;
  }

  /** Drops requests that will never be answered (their session closed); nobody awaits them any more. */
  forget(requests: readonly HopRequest[]): void {
    for (const r of requests) this.waiters.delete(r.requestId);
  }
}
