/**
 * One trial: N streams against one server for the configured duration. Scrapes /metrics
 * before, during and after, drives the generator pool with a progress bar, and judges the
 * outcome against the latency budget.
 */
import { SingleBar, Presets } from 'cli-progress';
import { STREAM_PATH } from '../shared/protocol.js';
import type { LoopAudio } from './clips.js';
import type { LoadtestOptions } from './options.js';
import { makeStreamPlans } from './plan.js';
import { autoWorkers, runPool, type LiveProgress, type PoolResult } from './pool.js';
import { scrapeMetrics, serverFigures, sumOf, type PromSnapshot } from './prometheus.js';
import { latencyHistogramBins, percentile, summarizeLatencies, type LatencySummary } from './stats.js';
import type { TrialResult } from './types.js';

/** A server under test: where it is, what it is, and (if we spawned it) its CPU clock. */
export interface ServerTarget {
  url: string;
  mode: string;
  cpuSeconds?: () => Promise<number | null>;
}

/** Generator lateness p95 above this, ms, means the generator (not the server) lagged. */
export const GENERATOR_LATE_P95_MS = 20;
/** Generator event-loop utilisation above this means it was close to saturation. */
export const GENERATOR_BUSY_ELU = 0.9;
/** Period of the during-run /metrics scrapes, ms. */
const SCRAPE_PERIOD_MS = 5000;

/** `http://h:p` or `ws://h:p[/path]` → the WebSocket URL of the stream endpoint. */
export function streamUrlOf(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.pathname === '/' || u.pathname === '') u.pathname = STREAM_PATH;
  return u.toString();
}

/** `ws://h:p/…` → `http://h:p` for /metrics. */
export function httpBaseOf(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'ws:') u.protocol = 'http:';
  else if (u.protocol === 'wss:') u.protocol = 'https:';
  return `${u.protocol}//${u.host}`;
}

function progressBar(enabled: boolean, label: string, totalSeconds: number): SingleBar | null {
  if (!enabled) return null;
  const bar = new SingleBar(
    {
      format: `${label} |{bar}| {value}/{total} s | open {open} | results {results} | p95 {p95} ms | errors {errors}`,
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  bar.start(Math.ceil(totalSeconds), 0, { open: 0, results: 0, p95: '–', errors: 0 });
  return bar;
}

/** The results of 16 kHz streams and of calls, summarised apart (a mixed load). */
export function latencyByKind(pool: Pick<PoolResult, 'latenciesMs' | 'fromHopEndMs' | 'callFlags'>): NonNullable<TrialResult['latencyByKind']> {
  const pick = (values: Float64Array, flag: number): Float64Array =>
    values.filter((v, i) => pool.callFlags[i] === flag && !Number.isNaN(v));
  const kind = (flag: number): { latency: LatencySummary; latencyFromHopEnd: LatencySummary } => ({
    latency: summarizeLatencies(pick(pool.latenciesMs, flag)),
    latencyFromHopEnd: summarizeLatencies(pick(pool.fromHopEndMs, flag)),
  });
  return { wideband: kind(0), calls: kind(1) };
}

/** Judges a trial: which of the capacity criteria it missed (none = pass). */
export function failReasonsOf(t: Omit<TrialResult, 'pass' | 'failReasons' | 'warnings'>, p95BudgetMs: number): string[] {
  const reasons: string[] = [];
  if (!(t.latency.p95Ms <= p95BudgetMs)) reasons.push(`p95 ${t.latency.p95Ms.toFixed(1)} ms > ${p95BudgetMs} ms`);
  const errors = Object.values(t.errorsByCode).reduce((a, b) => a + b, 0);
  if (errors > 0) reasons.push(`${errors} errors`);
  if (t.sessionsRejected > 0) reasons.push(`${t.sessionsRejected} sessions rejected`);
  if (t.missingResults > 0) reasons.push(`${t.missingResults} missing results`);
  if (t.missingSummaries > 0) reasons.push(`${t.missingSummaries} missing summaries`);
  if (t.unmatchedResults > 0) reasons.push(`${t.unmatchedResults} results not traceable to a sent chunk`);
  return reasons;
}

export function summarizeTrial(
  pool: PoolResult,
  base: { mode: string; streams: number; calls?: number; durationSeconds: number; hopMs: number; startedAt: string },
  extra: { server: TrialResult['server']; serverProcessCpuCores: number | null; workers: number; p95BudgetMs: number },
): TrialResult {
  const errorsByCode: Record<string, number> = {};
  let worst: TrialResult['worstStream'] = null;
  let audioCovered = 0;
  for (const s of pool.streams) {
    if (s.errorCode !== null) errorsByCode[s.errorCode] = (errorsByCode[s.errorCode] ?? 0) + 1;
    audioCovered += s.audioCoveredSeconds;
    if (worst === null || s.maxLatencyMs > worst.maxLatencyMs) worst = { streamId: s.streamId, maxLatencyMs: s.maxLatencyMs };
  }
  const started = pool.streams.filter((s) => s.started);
  const lateness = pool.lateness;
  const partial = {
    ...base,
    wallSeconds: pool.wallSeconds,
    latency: summarizeLatencies(pool.latenciesMs),
    latencyFromHopEnd: summarizeLatencies(pool.fromHopEndMs.filter((v) => !Number.isNaN(v))),
    ...((base.calls ?? 0) > 0 ? { latencyByKind: latencyByKind(pool) } : {}),
    histogram: latencyHistogramBins(pool.latenciesMs),
    resultsPerSecond: pool.latenciesMs.length / pool.wallSeconds,
    audioSecondsPerSecond: audioCovered / pool.wallSeconds,
    errorsByCode,
    sessionsStarted: started.length,
    sessionsRejected: pool.streams.length - started.length,
    sessionsCompleted: pool.streams.filter((s) => s.summarySeen && s.errorCode === null).length,
    missingResults: started.reduce((n, s) => n + s.missingResults, 0),
    missingFinals: started.filter((s) => !s.finalSeen).length,
    missingSummaries: started.filter((s) => !s.summarySeen).length,
    unmatchedResults: pool.streams.reduce((n, s) => n + s.unmatchedResults, 0),
    maxResultStalenessMs: pool.streams.reduce((m, s) => Math.max(m, s.maxStalenessMs), 0),
    worstStream: worst,
    generator: {
      workers: extra.workers,
      cpuCores: pool.cpuSeconds / pool.wallSeconds,
      cpuSeconds: pool.cpuSeconds,
      eventLoopUtilization: pool.eventLoopUtilization,
      latenessMs: {
        p50: lateness.percentile(50),
        p95: lateness.percentile(95),
        p99: lateness.percentile(99),
        max: lateness.count > 0 ? lateness.max : Number.NaN,
        mean: lateness.count > 0 ? lateness.sum / lateness.count : Number.NaN,
      },
    },
    server: extra.server,
    serverProcessCpuCores: extra.serverProcessCpuCores,
  };
  const failReasons = failReasonsOf(partial, extra.p95BudgetMs);
  const warnings: string[] = [];
  if (partial.generator.latenessMs.p95 > GENERATOR_LATE_P95_MS) {
    warnings.push(`generator lateness p95 ${partial.generator.latenessMs.p95.toFixed(0)} ms: the generator, not only the server, was behind`);
  }
  if (pool.eventLoopUtilization.some((u) => u > GENERATOR_BUSY_ELU)) {
    warnings.push('a generator worker was > 90 % busy: add --workers or use longer --chunk-ms');
  }
  return { ...partial, pass: failReasons.length === 0, failReasons, warnings };
}

/**
 * Waits until the server reports no active sessions (a failed trial can leave it working
 * through backlog), at most `timeoutMs`; returns whether it got there. Servers without
 * /metrics count as idle.
 */
export async function waitForIdle(url: string, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snap = await scrapeMetrics(httpBaseOf(url));
    const active = snap === null ? 0 : (sumOf(snap, 'ser_sessions_active') ?? 0);
    if (active === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function runTrial(
  target: ServerTarget,
  streams: number,
  audio: LoopAudio,
  options: LoadtestOptions,
  /** The same clips as calls (loadCallClips), required when options.callShare > 0. */
  calls: LoopAudio | null = null,
): Promise<TrialResult> {
  if (options.callShare > 0 && calls === null) throw new TypeError('--call-share: expected the call loop (loadCallClips)');
  const callLoop = options.callShare > 0 && calls !== null ? calls : null;
  const startedAt = new Date().toISOString();
  const workers = options.workers > 0 ? options.workers : autoWorkers(streams);
  const plans = makeStreamPlans({
    streams,
    durationSeconds: options.durationSeconds,
    sampleRateHz: audio.sampleRateHz,
    chunkMs: options.chunkMs,
    rampSeconds: options.rampSeconds,
    loopSamples: audio.loopSamples,
    clipStartSamples: audio.clipStartSamples,
    seed: options.seed,
    ...(callLoop === null ? {} : { calls: { share: options.callShare, ...callLoop } }),
  });
  const httpBase = httpBaseOf(target.url);
  const before = await scrapeMetrics(httpBase);
  const cpuBefore = (await target.cpuSeconds?.()) ?? null;
  const during: PromSnapshot[] = [];
  const scraper = setInterval(() => {
    void scrapeMetrics(httpBase).then((s) => s !== null && during.push(s));
  }, SCRAPE_PERIOD_MS);
  const bar = progressBar(options.progress, `${target.mode} N=${streams}`, options.rampSeconds + options.durationSeconds);
  const wallStart = performance.now();
  const onProgress = (p: LiveProgress): void => {
    if (bar === null) return;
    const recent = p.latenciesMs.subarray(Math.max(0, p.latenciesMs.length - 5000));
    const p95 = percentile(Float64Array.from(recent).sort(), 95);
    bar.update(Math.min(bar.getTotal(), Math.floor((performance.now() - wallStart) / 1000)), {
      open: p.sessionsOpen,
      results: p.results,
      p95: Number.isNaN(p95) ? '–' : p95.toFixed(1),
      errors: p.errors,
    });
  };
  let pool: PoolResult;
  try {
    pool = await runPool(
      {
        streamUrl: streamUrlOf(target.url),
        plans,
        pcm: audio.pcm,
        loopSamples: audio.loopSamples,
        sampleRateHz: audio.sampleRateHz,
        ...(callLoop === null ? {} : { calls: { pcm: callLoop.pcm, loopSamples: callLoop.loopSamples, sampleRateHz: callLoop.sampleRateHz } }),
        hopMs: options.hopMs,
        endTimeoutMs: options.endTimeoutSeconds * 1000,
        coverageToleranceMs: options.coverageToleranceMs,
        workers,
      },
      onProgress,
    );
  } finally {
    clearInterval(scraper);
    bar?.stop();
  }
  const after = await scrapeMetrics(httpBase);
  const cpuAfter = (await target.cpuSeconds?.()) ?? null;
  const server = before !== null && after !== null ? serverFigures(before, after, during) : null;
  return summarizeTrial(
    pool,
    {
      mode: target.mode,
      streams,
      ...(callLoop === null ? {} : { calls: plans.filter((p) => p.call === true).length }),
      durationSeconds: options.durationSeconds,
      hopMs: options.hopMs,
      startedAt,
    },
    {
      server,
      serverProcessCpuCores: cpuBefore !== null && cpuAfter !== null ? (cpuAfter - cpuBefore) / pool.wallSeconds : null,
      workers,
      p95BudgetMs: options.p95BudgetMs,
    },
  );
}
