/**
 * Stage 6: each hop's frames go to the inference pool as soon as the hop is cut (so a
 * session with many hops queued keeps the worker busy), and the results come back in hop
 * order. A hop without frames reuses the last outcome instead of a round trip.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { InferenceStream, StepOutcome } from './contract.js';
import type { Hop, InferredHop } from './types.js';

export function infer(stream: InferenceStream): OperatorFunction<Hop, InferredHop> {
  return (source) =>
    new Observable<InferredHop>((subscriber) => {
      let active = true;
      let lastProbs: Float32Array | null = null;
      let consumedTotal = 0;
      // Results are emitted strictly in hop order by chaining on the previous one.
      let chain: Promise<void> = Promise.resolve();
      const fail = (err: unknown): void => {
        if (!active) return;
        active = false;
        subscriber.error(err);
      };
      const subscription = source.subscribe({
        next: (hop) => {
          if (!active) return;
          const outcome: Promise<StepOutcome | null> =
            hop.frameCount > 0 ? stream.step(hop.frames, hop.voiced) : Promise.resolve(null);
          // Keep a rejection from being reported as unhandled before the chain reaches it.
          outcome.catch(() => undefined);
          chain = chain
            .then(() => outcome)
            .then((result) => {
              if (!active) return;
              if (result !== null) {
                // Cumulative, and it also counts frames a silence reset dropped.
                consumedTotal = result.framesConsumed;
                // Null after an utterance reset: the window is empty, nothing to report.
                lastProbs = result.probs;
              }
              subscriber.next({ ...hop, probs: lastProbs, framesConsumedTotal: consumedTotal });
            })
            .catch(fail);
        },
        complete: () => {
          chain = chain.then(() => {
            if (!active) return;
            active = false;
            subscriber.complete();
          });
        },
        error: fail,
      });
      return () => {
        active = false;
        subscription.unsubscribe();
      };
    });
}
