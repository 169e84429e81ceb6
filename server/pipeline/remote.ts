/**
 * A stream's whole pipeline (decode … result) run in the inference worker that holds its
 * model state (server/workers/shard.ts), as one operator with the contract of
 * `audioToResults`: audio chunks in, one result per hop out, the final result and
 * completion after the input completes, errors as errors. Unsubscribing releases the stream
 * in the worker. Every timestamp is this thread's: the chunks' `arrivedAtMs`, and the end of
 * the input, which stamps the final hop.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { AudioChunk, EmotionResult, PipelineHandlers, RemotePipeline } from './contract.js';

export function remote(open: (handlers: PipelineHandlers) => RemotePipeline): OperatorFunction<AudioChunk, EmotionResult> {
  return (source) =>
    new Observable<EmotionResult>((subscriber) => {
      const pipeline = open({
        next: (result) => subscriber.next(result),
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      const subscription = source.subscribe({
        next: (chunk) => pipeline.push(chunk),
        complete: () => pipeline.end(performance.now()),
        error: (err: unknown) => subscriber.error(err),
      });
      return () => {
        subscription.unsubscribe();
        pipeline.close();
      };
    });
}
