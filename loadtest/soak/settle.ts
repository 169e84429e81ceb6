/**
 * Before and after the churn: a short warm-up (so lazily created model state is part of the
 * baseline, as in test/server/leaks.test.ts), and the wait for the server to get back to its
 * baseline sessions and tensors once the last client is gone.
 */
import type { LoopAudio } from '../clips.js';
import { makeStreamPlans } from '../plan.js';
import { runPool } from '../pool.js';
import { scrapeMetrics, sumOf } from '../prometheus.js';
import { waitForIdle } from '../trial.js';
import type { SettleState } from './types.js';

/** Warm-up streams, opened together so that every inference worker serves some. */
const WARMUP_STREAMS = 8;
const WARMUP_SECONDS = 3;

export async function warmUp(streamUrl: string, httpBase: string, audio: LoopAudio, hopMs: number): Promise<void> {
  const plans = makeStreamPlans({
    streams: WARMUP_STREAMS,
    durationSeconds: WARMUP_SECONDS,
    sampleRateHz: audio.sampleRateHz,
    chunkMs: { min: 100, max: 100 },
    rampSeconds: 0,
    loopSamples: audio.loopSamples,
    clipStartSamples: audio.clipStartSamples,
    seed: 0,
  });
  const pcm = { pcm: audio.pcm, loopSamples: audio.loopSamples, sampleRateHz: audio.sampleRateHz };
  await runPool({ streamUrl, plans, ...pcm, hopMs, endTimeoutMs: 15_000, coverageToleranceMs: 30, workers: 1 });
  await waitForIdle(httpBase);
}

/**
 * Polls /metrics once a second until `ser_sessions_active` and `ser_model_tensors` are at
 * most their baseline, at most `settleSeconds`.
 */
export async function settle(httpBase: string, baseline: { sessionsActive: number | null; tensors: number | null }, settleSeconds: number): Promise<SettleState> {
  const startedMs = performance.now();
  for (;;) {
    const snap = await scrapeMetrics(httpBase);
    const sessionsActive = snap === null ? null : sumOf(snap, 'ser_sessions_active');
    const tensors = snap === null ? null : sumOf(snap, 'ser_model_tensors');
    const elapsedSeconds = (performance.now() - startedMs) / 1000;
    const atBaseline =
      sessionsActive !== null && sessionsActive <= (baseline.sessionsActive ?? 0) && (baseline.tensors === null || (tensors !== null && tensors <= baseline.tensors));
    if (atBaseline) return { settledAfterSeconds: elapsedSeconds, sessionsActive, tensors };
    if (elapsedSeconds >= settleSeconds) return { settledAfterSeconds: null, sessionsActive, tensors };
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
