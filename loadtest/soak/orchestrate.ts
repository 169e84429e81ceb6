/**
 * One `npm run soak`: load the clips, get the server (spawned or given), warm it up, take
 * the baseline, run the churn on the load generator's workers while sampling the server,
 * wait for it to settle, and judge.
 */
import { join } from 'node:path';
import { loadClips } from '../clips.js';
import { describeMachine, type Log } from '../orchestrate.js';
import { autoWorkers, runPool, type LiveProgress } from '../pool.js';
import { deltaByLabel, scrapeMetrics, sumOf, type PromSnapshot } from '../prometheus.js';
import { spawnServer, type SpawnedServer } from '../server_process.js';
import { httpBaseOf, streamUrlOf } from '../trial.js';
import { makeChurnPlans } from './churn.js';
import type { SoakOptions } from './options.js';
import { Sampler } from './sampler.js';
import { settle, warmUp } from './settle.js';
import { tallyOutcomes } from './tally.js';
import { formatSample } from './summary.js';
import type { ServerDeltas, SoakReport } from './types.js';
import { judgeSoak } from './verdict.js';

export function serverDeltasOf(before: PromSnapshot | null, after: PromSnapshot | null): ServerDeltas {
  if (before === null || after === null) return { errorsByCode: {}, timeoutsByKind: {}, sessionsByOutcome: {}, workerRestarts: null };
  const restarts = sumOf(after, 'ser_worker_restarts_total');
  return {
    errorsByCode: deltaByLabel(before, after, 'ser_errors_total', 'code'),
    timeoutsByKind: deltaByLabel(before, after, 'ser_timeouts_total', 'kind'),
    sessionsByOutcome: deltaByLabel(before, after, 'ser_sessions_total', 'outcome'),
    workerRestarts: restarts === null ? null : restarts - (sumOf(before, 'ser_worker_restarts_total') ?? 0),
  };
}

async function withServer<T>(o: SoakOptions, run: (url: string) => Promise<T>): Promise<T> {
  let spawned: SpawnedServer | null = null;
  const stopOnSignal = (): void => void spawned?.stop().finally(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  try {
    if (o.url === undefined) {
      spawned = await spawnServer({
        mode: 'streaming',
        extraArgs: o.serverArgs,
        cpuProfDir: undefined,
        logFile: join(o.outDir, 'server.log'),
        maxStreams: o.streams + o.slowReaders + o.idleClients,
      });
    }
    const url = spawned?.url ?? o.url;
    if (url === undefined) throw new TypeError('no server URL');
    return await run(url);
  } finally {
    process.removeListener('SIGINT', stopOnSignal);
    await spawned?.stop();
  }
}

export async function runSoak(o: SoakOptions, argv: string[], log: Log = (l) => console.error(l)): Promise<SoakReport> {
  const audio = await loadClips(o.clipsDir, Math.ceil((o.chunkMs.max * 16_000) / 1000) + 1);
  const createdAt = new Date().toISOString();
  const machine = describeMachine();
  return withServer(o, async (url) => {
    const httpBase = httpBaseOf(url);
    const streamUrl = streamUrlOf(url);
    log(`warming up ${url}…`);
    await warmUp(streamUrl, httpBase, audio, o.hopMs);
    const before = await scrapeMetrics(httpBase);
    const baseline = {
      sessionsActive: before === null ? null : sumOf(before, 'ser_sessions_active'),
      tensors: before === null ? null : sumOf(before, 'ser_model_tensors'),
      rssMb: before === null ? null : (sumOf(before, 'process_resident_memory_bytes') ?? Number.NaN) / 2 ** 20,
    };
    const plans = makeChurnPlans({
      slots: o.streams,
      soakSeconds: o.minutes * 60,
      sessionSeconds: o.sessionSeconds,
      gapSeconds: o.gapSeconds,
      rampSeconds: o.rampSeconds,
      slowReaders: o.slowReaders,
      idleClients: o.idleClients,
      sampleRateHz: audio.sampleRateHz,
      chunkMs: o.chunkMs,
      clipStartSamples: audio.clipStartSamples,
      seed: o.seed,
    });
    log(`soak: ${o.streams} streams for ${o.minutes} min (${plans.length} sessions), ${o.slowReaders} slow readers, ${o.idleClients} idle clients`);
    let latest: LiveProgress | null = null;
    const sampler = new Sampler(
      httpBase,
      before,
      () => ({ latenciesMs: latest?.latenciesMs ?? new Float64Array(0), sessionsOpen: latest?.sessionsOpen ?? 0 }),
      o.progress ? (s) => log(formatSample(s)) : undefined,
    );
    const workers = o.workers > 0 ? o.workers : autoWorkers(o.streams);
    const wallStartMs = performance.now();
    sampler.start(o.sampleSeconds);
    const pool = await runPool(
      {
        streamUrl,
        plans,
        pcm: audio.pcm,
        loopSamples: audio.loopSamples,
        sampleRateHz: audio.sampleRateHz,
        hopMs: o.hopMs,
        endTimeoutMs: o.endTimeoutSeconds * 1000,
        coverageToleranceMs: 30,
        dropTimeoutMs: o.dropTimeoutSeconds * 1000,
        workers,
      },
      (p) => {
        latest = p;
      },
    ).finally(() => sampler.stop());
    const wallSeconds = (performance.now() - wallStartMs) / 1000;
    const settled = await settle(httpBase, baseline, o.settleSeconds);
    const serverDeltas = serverDeltasOf(before, await scrapeMetrics(httpBase));
    const tally = tallyOutcomes(pool.streams);
    const verdict = judgeSoak({
      tally,
      serverDeltas,
      samples: sampler.samples,
      churnSeconds: o.minutes * 60,
      settle: settled,
      rssSlopeToleranceMbPerMin: o.rssSlopeToleranceMbPerMin,
      tensorSlopeTolerancePerMin: o.tensorSlopeTolerancePerMin,
    });
    return {
      tool: 'ser-soak',
      reportVersion: 1,
      createdAt,
      argv,
      machine,
      options: { ...o },
      server: { url, spawned: o.url === undefined },
      baseline,
      settle: settled,
      wallSeconds,
      churnSeconds: o.minutes * 60,
      generator: {
        workers,
        cpuCores: pool.cpuSeconds / pool.wallSeconds,
        latenessP95Ms: pool.lateness.percentile(95),
        eventLoopUtilization: pool.eventLoopUtilization,
      },
      samples: sampler.samples,
      tally,
      serverDeltas,
      verdict,
    };
  });
}
