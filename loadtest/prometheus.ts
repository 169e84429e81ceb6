/**
 * Reads the server's /metrics (Prometheus text format) before and after a run and turns the
 * difference into the figures the report shows: batch sizes, inference and feature time,
 * event-loop lag, real-time factor, CPU. Parsing and differencing are pure.
 */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromSnapshot {
  /** Metric family name → type from `# TYPE`. */
  types: Record<string, string>;
  samples: PromSample[];
  /** Date.now() of the scrape, ms. */
  atMs: number;
}

/** Summary of a histogram's observations between two scrapes. */
export interface HistogramDelta {
  count: number;
  sum: number;
  mean: number;
  /** Quantiles estimated from the buckets by linear interpolation (as PromQL histogram_quantile). */
  p50: number;
  p95: number;
  p99: number;
}

export interface ServerFigures {
  mode: string | null;
  engine: string | null;
  wallSeconds: number;
  /** Average cores the server process used (process_cpu_seconds_total). */
  cpuCores: number | null;
  batchSize: HistogramDelta | null;
  inferenceMs: HistogramDelta | null;
  featureExtractionMs: HistogramDelta | null;
  eventLoopLagMs: HistogramDelta | null;
  /** The server's own hop latency (audio arrival → result sent). */
  serverLatencyMs: HistogramDelta | null;
  /** (Δ inference time + Δ feature time) / Δ audio seconds over the whole run. */
  realTimeFactor: number | null;
  /** ser_real_time_factor gauge (10 s window) at the scrapes taken during the run. */
  realTimeFactorGauge: number[];
  resultsSent: number | null;
  audioReceivedSeconds: number | null;
  errorsByCode: Record<string, number>;
  sessionsByOutcome: Record<string, number>;
  backlogPauses: number | null;
  workerRestarts: number | null;
  residentMemoryMb: number | null;
  modelTensorsAfter: number | null;
}

const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/;
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string, atMs = Date.now()): PromSnapshot {
  const types: Record<string, string> = {};
  const samples: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# TYPE (\S+) (\S+)/.exec(line);
      if (m !== null) types[m[1] as string] = m[2] as string;
      continue;
    }
    const m = SAMPLE_RE.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const lm of (m[3] ?? '').matchAll(LABEL_RE)) {
      labels[lm[1] as string] = (lm[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const v = m[4] as string;
    const value = v === '+Inf' ? Number.POSITIVE_INFINITY : v === '-Inf' ? Number.NEGATIVE_INFINITY : Number(v);
    samples.push({ name: m[1] as string, labels, value });
  }
  return { types, samples, atMs };
}

/** Sum of all samples named `name` whose labels include `match`; null when none exist. */
export function sumOf(snap: PromSnapshot, name: string, match: Record<string, string> = {}): number | null {
  let total: number | null = null;
  for (const s of snap.samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).some(([k, v]) => s.labels[k] !== v)) continue;
    total = (total ?? 0) + s.value;
  }
  return total;
}

function delta(before: PromSnapshot, after: PromSnapshot, name: string): number | null {
  const a = sumOf(after, name);
  if (a === null) return null;
  return a - (sumOf(before, name) ?? 0);
}

/** Per-label-value deltas of a counter (e.g. errors by `code`), zero deltas omitted. */
export function deltaByLabel(before: PromSnapshot, after: PromSnapshot, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of after.samples) {
    if (s.name !== name) continue;
    const key = s.labels[label] ?? '';
    const d = s.value - (sumOf(before, name, { [label]: key }) ?? 0);
    if (d !== 0) out[key] = (out[key] ?? 0) + d;
  }
  return out;
}

/** Quantile from cumulative (le, count) buckets, interpolating linearly inside a bucket. */
export function bucketQuantile(q: number, buckets: Array<{ le: number; count: number }>): number {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted[sorted.length - 1]?.count ?? 0;
  if (total <= 0) return Number.NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      if (b.le === Number.POSITIVE_INFINITY) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket <= 0 ? b.le : prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

/** Observations of histogram `name` between the scrapes, values × `scale` (e.g. 1000 for s → ms). */
export function histogramDelta(before: PromSnapshot, after: PromSnapshot, name: string, scale = 1): HistogramDelta | null {
  const count = delta(before, after, `${name}_count`);
  const sum = delta(before, after, `${name}_sum`);
  if (count === null || sum === null) return null;
  const byLe = new Map<number, number>();
  for (const s of after.samples) {
    if (s.name !== `${name}_bucket`) continue;
    const le = Number(s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  for (const s of before.samples) {
    if (s.name !== `${name}_bucket`) continue;
    const le = Number(s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) - s.value);
  }
  const buckets = [...byLe].map(([le, c]) => ({ le, count: c }));
  return {
    count,
    sum: sum * scale,
    mean: count > 0 ? (sum * scale) / count : Number.NaN,
    p50: bucketQuantile(0.5, buckets) * scale,
    p95: bucketQuantile(0.95, buckets) * scale,
    p99: bucketQuantile(0.99, buckets) * scale,
  };
}

function labelOf(snap: PromSnapshot, name: string, label: string): string | null {
  return snap.samples.find((s) => s.name === name)?.labels[label] ?? null;
}

export function serverFigures(before: PromSnapshot, after: PromSnapshot, during: PromSnapshot[] = []): ServerFigures {
  const wallSeconds = (after.atMs - before.atMs) / 1000;
  const cpu = delta(before, after, 'process_cpu_seconds_total');
  const audio = delta(before, after, 'ser_audio_received_seconds_total');
  const inference = histogramDelta(before, after, 'ser_inference_duration_seconds');
  const features = histogramDelta(before, after, 'ser_feature_extraction_seconds');
  const work = (inference?.sum ?? 0) + (features?.sum ?? 0);
  const rss = sumOf(after, 'process_resident_memory_bytes');
  return {
    mode: labelOf(after, 'ser_model_info', 'mode'),
    engine: labelOf(after, 'ser_model_info', 'engine'),
    wallSeconds,
    cpuCores: cpu !== null && wallSeconds > 0 ? cpu / wallSeconds : null,
    batchSize: histogramDelta(before, after, 'ser_inference_batch_size'),
    inferenceMs: histogramDelta(before, after, 'ser_inference_duration_seconds', 1000),
    featureExtractionMs: histogramDelta(before, after, 'ser_feature_extraction_seconds', 1000),
    eventLoopLagMs: histogramDelta(before, after, 'ser_event_loop_lag_seconds', 1000),
    serverLatencyMs: histogramDelta(before, after, 'ser_result_latency_seconds', 1000),
    realTimeFactor: audio !== null && audio > 0 && (inference !== null || features !== null) ? work / audio : null,
    realTimeFactorGauge: during.map((s) => sumOf(s, 'ser_real_time_factor')).filter((v): v is number => v !== null),
    resultsSent: delta(before, after, 'ser_results_sent_total'),
    audioReceivedSeconds: audio,
    errorsByCode: deltaByLabel(before, after, 'ser_errors_total', 'code'),
    sessionsByOutcome: deltaByLabel(before, after, 'ser_sessions_total', 'outcome'),
    backlogPauses: delta(before, after, 'ser_backlog_pauses_total'),
    workerRestarts: delta(before, after, 'ser_worker_restarts_total'),
    residentMemoryMb: rss !== null ? rss / 2 ** 20 : null,
    modelTensorsAfter: sumOf(after, 'ser_model_tensors'),
  };
}

/** GET `<baseUrl>/metrics`; null when the server has none or cannot be reached. */
export async function scrapeMetrics(baseUrl: string): Promise<PromSnapshot | null> {
  try {
    const res = await fetch(new URL('/metrics', baseUrl), { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return null;
    return parsePrometheusText(await res.text());
  } catch {
    return null;
  }
}
