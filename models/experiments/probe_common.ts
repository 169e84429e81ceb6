/** What the offline probes share: the stats head's logits on the host, and UAR in percent. */
import { argmax, computeMetrics } from '../train/metrics.js';
import type { StatsHeadWeights } from '../train/stats_head_fit.js';

/** The head's logits on raw statistics (host, as the streaming runner computes them). */
export function headLogits(w: StatsHeadWeights, x: Float64Array, classes: number): Float64Array {
  let h: Float64Array = x;
  if (w.w1 !== null && w.b1 !== null) {
    const units = w.b1.length;
    const a = new Float64Array(units);
    for (let u = 0; u < units; u++) {
      let z = w.b1[u]!;
      for (let j = 0; j < x.length; j++) z += x[j]! * w.w1[j * units + u]!;
      a[u] = Math.max(z, 0);
    }
    h = a;
  }
  const out = new Float64Array(classes);
  for (let k = 0; k < classes; k++) {
    let z = w.b[k]!;
    for (let j = 0; j < h.length; j++) z += h[j]! * w.w[j * classes + k]!;
    out[k] = z;
  }
  return out;
}

/** Unweighted average recall of the argmax of each score vector, %. */
export function uar(truth: readonly number[], scores: readonly ArrayLike<number>[], labels: readonly string[]): number {
  return 100 * computeMetrics(truth, scores.map((p) => argmax(Float32Array.from(p))), labels).uar;
}

/** Network log-probabilities + head logits: the argmax of the served sum of logits. */
export function fuse(netP: readonly (readonly number[])[], headLogitsPerClip: readonly Float64Array[]): Float64Array[] {
  return headLogitsPerClip.map((z, i) => Float64Array.from(z, (v, k) => v + Math.log(netP[i]![k]! + 1e-9)));
}
