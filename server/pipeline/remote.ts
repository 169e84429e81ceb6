/**
 * The whole pipeline (decode … result) run elsewhere — in the inference worker that holds
 * the session's model state (dspThread 'worker', server/model/shard.ts) — as one operator
 * with the same contract as `audioToResults`: audio chunks in, one result per hop out, the
 * final result and completion after the input completes, errors as errors. Unsubscribing
 * releases the remote session.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { AudioChunk, EmotionResult, PipelineHandlers, RemotePipeline } from './contract.js';

export function remote(open: (handlers: PipelineHandlers) => RemotePipeline): OperatorFunction<AudioChunk, EmotionResult> {
  return (source) =>
    new Observable<EmotionResult>((subscriber) => {
      /** performance.now() on this thread when the input completed (the final hop's clock). */
      let endedAtMs = Number.NaN;
      const pipeline = open({
        // The final hop is completed by `end`, not by audio; the other thread's clock has
        // another origin, so its latency counts from when the input completed here.
        next: (result) =>
          subscriber.next(result.message.final === true && !Number.isNaN(endedAtMs) ? { ...result, arrivedAtMs: endedAtMs } : result),
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      const subscription = source.subscribe({
        next: (chunk) => pipeline.push(chunk),
        complete: () => {
          endedAtMs = performance.now();
          pipeline.end();
        },
        error: (err: unknown) => subscriber.error(err),
      });
      return () => {
        subscription.unsubscribe();
        pipeline.close();
      };
    });
}
