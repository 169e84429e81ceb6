/**
 * Classification metrics from a confusion matrix. UAR (unweighted average recall = mean of
 * per-class recalls) is the headline: RAVDESS neutral has half the clips of the other
 * classes, and UAR does not reward a model for favouring the big classes.
 */

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Number of true examples of this class. */
  support: number;
}

export interface Metrics {
  count: number;
  accuracy: number;
  /** Mean recall over classes that have at least one true example. */
  uar: number;
  /** Mean F1 over classes that have at least one true example. */
  macroF1: number;
  perClass: ClassMetrics[];
  /** confusion[true][predicted], counts. */
  confusion: number[][];
  labels: string[];
}

/** confusion[t][p] counts; throws on an index outside [0, numClasses). */
export function confusionMatrix(trueIdx: readonly number[], predIdx: readonly number[], numClasses: number): number[][] {
  if (trueIdx.length !== predIdx.length) {
    throw new Error(`expected as many predictions as labels, got ${predIdx.length} vs ${trueIdx.length}`);
  }
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  trueIdx.forEach((t, i) => {
    const p = predIdx[i] as number;
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses)) {
      throw new Error(`expected class indices in [0, ${numClasses}), got true ${t}, predicted ${p}`);
    }
    (m[t] as number[])[p] = ((m[t] as number[])[p] as number) + 1;
  });
  return m;
}

const safeDiv = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** All metrics from a confusion matrix (rows true, columns predicted). */
export function metricsFromConfusion(confusion: number[][], labels: readonly string[]): Metrics {
  const n = labels.length;
  if (confusion.length !== n) throw new Error(`expected a ${n}×${n} confusion matrix, got ${confusion.length} rows`);
  const row = (i: number): number[] => confusion[i] as number[];
  const cell = (t: number, p: number): number => row(t)[p] as number;
  let total = 0;
  let correct = 0;
  const perClass: ClassMetrics[] = labels.map((label, c) => {
    let support = 0;
    let predicted = 0;
    for (let k = 0; k < n; k += 1) {
      support += cell(c, k);
      predicted += cell(k, c);
    }
    total += support;
    correct += cell(c, c);
    const precision = safeDiv(cell(c, c), predicted);
    const recall = safeDiv(cell(c, c), support);
    const f1 = safeDiv(2 * precision * recall, precision + recall);
    return { label, precision, recall, f1, support };
  });
  const present = perClass.filter((m) => m.support > 0);
  return {
    count: total,
    accuracy: safeDiv(correct, total),
    uar: safeDiv(present.reduce((s, m) => s + m.recall, 0), present.length),
    macroF1: safeDiv(present.reduce((s, m) => s + m.f1, 0), present.length),
    perClass,
    confusion: confusion.map((r) => [...r]),
    labels: [...labels],
  };
}

export function computeMetrics(trueIdx: readonly number[], predIdx: readonly number[], labels: readonly string[]): Metrics {
  return metricsFromConfusion(confusionMatrix(trueIdx, predIdx, labels.length), labels);
}

export { argmax } from '../../shared/argmax.js';

const pct = (x: number): string => `${(100 * x).toFixed(1).padStart(5)} %`;

/** A plain-text table: headline figures, then precision/recall/F1/support per class. */
export function formatMetricsTable(title: string, m: Metrics): string {
  const width = Math.max(9, ...m.labels.map((l) => l.length));
  const lines = [
    `${title}: n=${m.count}  accuracy ${pct(m.accuracy)}  UAR ${pct(m.uar)}  macro-F1 ${pct(m.macroF1)}`,
    `  ${'class'.padEnd(width)}  precision   recall       F1  support`,
    ...m.perClass.map(
      (c) => `  ${c.label.padEnd(width)}  ${pct(c.precision)}  ${pct(c.recall)}  ${pct(c.f1)}  ${String(c.support).padStart(7)}`,
    ),
  ];
  return lines.join('\n');
}
