/**
 * Temperature scaling (Guo et al. 2017): one scalar T divides every logit, so the ranking of
 * the classes never changes, only how sure the model says it is. Fitted by minimising the
 * mean negative log-likelihood of held-out answers. Works from probabilities: log p is the
 * logit vector up to a per-row constant, which softmax ignores, so softmax(log p / T) =
 * p^(1/T) / Σ p^(1/T).
 */

/** Smallest probability taken to a log: keeps a confident wrong answer finite. */
const MIN_PROB = 1e-12;

/** p^(1/T), renormalised (computed in logs, max-shifted). */
export function tempered(probs: ArrayLike<number>, temperature: number): Float64Array {
  if (!(temperature > 0)) throw new Error(`temperature: expected > 0, got ${temperature}`);
  const out = new Float64Array(probs.length);
  let max = -Infinity;
  for (let k = 0; k < probs.length; k += 1) {
    out[k] = Math.log(Math.max(probs[k] as number, MIN_PROB)) / temperature;
    max = Math.max(max, out[k] as number);
  }
  let sum = 0;
  for (let k = 0; k < out.length; k += 1) {
    out[k] = Math.exp((out[k] as number) - max);
    sum += out[k] as number;
  }
  for (let k = 0; k < out.length; k += 1) out[k] = (out[k] as number) / sum;
  return out;
}

/** Mean −log p(true label) after tempering. */
export function meanNll(probs: readonly ArrayLike<number>[], labels: readonly number[], temperature: number): number {
  if (probs.length === 0 || probs.length !== labels.length) throw new Error(`expected equal non-empty probs and labels, got ${probs.length} and ${labels.length}`);
  let sum = 0;
  probs.forEach((p, i) => {
    sum -= Math.log(Math.max(tempered(p, temperature)[labels[i] as number] as number, MIN_PROB));
  });
  return sum / probs.length;
}

/**
 * The temperature in [lo, hi] with the lowest mean NLL: golden-section search on ln T (the
 * NLL is unimodal in T for a fixed set of answers), to a relative precision of ~1e-4.
 */
export function fitTemperature(probs: readonly ArrayLike<number>[], labels: readonly number[], lo = 0.1, hi = 10): number {
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = Math.log(lo);
  let b = Math.log(hi);
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  let fc = meanNll(probs, labels, Math.exp(c));
  let fd = meanNll(probs, labels, Math.exp(d));
  while (b - a > 1e-4) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - phi * (b - a);
      fc = meanNll(probs, labels, Math.exp(c));
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + phi * (b - a);
      fd = meanNll(probs, labels, Math.exp(d));
    }
  }
  return Math.exp((a + b) / 2);
}
