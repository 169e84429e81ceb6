/**
 * Stage 7: exponential moving average over successive hop distributions,
 *   s_k = α·s_{k−1} + (1 − α)·p_k      (α = the session's `smoothing`, 0 ≤ α ≤ 0.99),
 * where p_k is the model's distribution on a voiced hop and the uniform distribution on an
 * unvoiced one — so over silence the reported distribution decays toward uniform instead of
 * holding on to the last confident answer. The first voiced hop starts the average at p_k.
 *
 * The top label is the arg-max of s_k on a voiced hop and is held over silence: mixing with
 * the uniform distribution keeps the order of the labels, so the held label is the arg-max of
 * the exact s_k. Computed from s_k itself it would not be: in float32 the decayed values meet
 * at exactly 1/n after a few seconds (α = 0.25: ~13 hops; α = 0: the first unvoiced hop), and
 * the tie would name the first label, or rounding reorders them (α = 0.5: after ~22 hops).
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { argmax } from '../../shared/argmax.js';
import type { InferredHop, SmoothedHop } from './types.js';

/** One EMA step into a new array; `previous` null starts at `target`. */
export function emaStep(previous: Float32Array | null, target: Float32Array, smoothing: number): Float32Array {
  if (previous === null) return Float32Array.from(target);
  const out = new Float32Array(target.length);
  for (let i = 0; i < target.length; i += 1) {
    out[i] = smoothing * (previous[i] ?? 0) + (1 - smoothing) * (target[i] ?? 0);
  }
  return out;
}

export function uniform(size: number): Float32Array {
  return new Float32Array(size).fill(1 / size);
}

/** A hop counts as voiced when any of its frames is voiced and the model has output. */
export function isVoicedHop(hop: Pick<InferredHop, 'voicedFrames' | 'probs'>): boolean {
  return hop.voicedFrames > 0 && hop.probs !== null;
}

export function smooth(smoothing: number, numLabels: number): OperatorFunction<InferredHop, SmoothedHop> {
  if (!(smoothing >= 0 && smoothing < 1)) throw new RangeError(`smoothing: expected a number in [0, 1), got ${smoothing}`);
  const flat = uniform(numLabels);
  return (source) =>
    new Observable<SmoothedHop>((subscriber) => {
      let state: Float32Array | null = null;
      let topIndex = 0;
      const subscription = source.subscribe({
        next: (hop) => {
          const voiced = isVoicedHop(hop);
          // Silence before any speech reports exactly uniform and never seeds the average.
          if (voiced) {
            state = emaStep(state, hop.probs as Float32Array, smoothing);
            topIndex = argmax(state);
          } else if (state !== null) state = emaStep(state, flat, smoothing);
          subscriber.next({ ...hop, smoothed: state ?? Float32Array.from(flat), isVoiced: voiced, topIndex });
        },
        complete: () => subscriber.complete(),
        error: (err: unknown) => subscriber.error(err),
      });
      return () => {
        subscription.unsubscribe();
        state = null;
      };
    });
}
