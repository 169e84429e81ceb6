/**
 * One `npm run loadtest` invocation: load the clips, get the server(s) (spawned or given),
 * run fixed trials or capacity searches per mode, and assemble the report.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { loadCallClips, loadClips, type LoopAudio } from './clips.js';
import { searchCapacity } from './capacity.js';
import type { LoadtestOptions, ServerMode } from './options.js';
import { spawnServer, type SpawnedServer } from './server_process.js';
import { formatCapacity, formatTrial } from './summary.js';
import { runTrial, waitForIdle, type ServerTarget } from './trial.js';
import type { CapacityRecord, LoadtestReport, TrialResult } from './types.js';

/** Where to log progress lines (stderr by default; tests pass a no-op). */
export type Log = (line: string) => void;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Plan {
  mode: string;
  spawnMode: ServerMode | null;
  url: string | undefined;
}

/** Which servers to measure, in order: streaming first, then naive when comparing. */
export function serversToMeasure(o: LoadtestOptions): Plan[] {
  if (o.compareNaive) {
    return [
      { mode: 'streaming', spawnMode: o.spawnServer ? 'streaming' : null, url: o.spawnServer ? undefined : o.url },
      { mode: 'naive', spawnMode: o.spawnServer ? 'naive' : null, url: o.spawnServer ? undefined : o.naiveUrl },
    ];
  }
  if (o.spawnServer) return [{ mode: o.mode, spawnMode: o.mode, url: undefined }];
  return [{ mode: 'external', spawnMode: null, url: o.url }];
}

async function measureOne(
  target: ServerTarget,
  audio: LoopAudio,
  calls: LoopAudio | null,
  o: LoadtestOptions,
  trials: TrialResult[],
  log: Log,
): Promise<CapacityRecord | null> {
  const trial = async (streams: number): Promise<TrialResult> => {
    if (trials.length > 0) await sleep(o.cooldownSeconds * 1000);
    if (!(await waitForIdle(target.url))) log(`warning: the ${target.mode} server still has active sessions after 30 s; measuring anyway`);
    const t = await runTrial(target, streams, audio, o, calls);
    trials.push(t);
    log(formatTrial(t));
    return t;
  };
  if (!(o.findCapacity || o.compareNaive)) {
    for (const n of o.streams) await trial(n);
    return null;
  }
  if (o.warmupSeconds > 0) {
    const streams = Math.max(1, Math.round(o.startStreams / 2));
    const warm = await runTrial(target, streams, audio, { ...o, durationSeconds: o.warmupSeconds }, calls);
    log(`warm-up (not counted): ${streams} streams × ${o.warmupSeconds} s, p95 ${warm.latency.p95Ms.toFixed(1)} ms`);
    await sleep(o.cooldownSeconds * 1000);
  }
  const outcome = await searchCapacity(
    { startStreams: o.startStreams, maxStreams: o.maxStreams, resolution: o.resolution },
    async (n) => (await trial(n)).pass,
  );
  const record: CapacityRecord = { mode: target.mode, p95BudgetMs: o.p95BudgetMs, ...outcome };
  log(formatCapacity(record));
  return record;
}

/** The machine a run measured on, with its load at the start. */
export function describeMachine(): LoadtestReport['machine'] {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    totalMemoryGb: totalmem() / 2 ** 30,
    loadAverage1m: loadavg()[0] ?? Number.NaN,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export async function runLoadtest(o: LoadtestOptions, argv: string[], log: Log = (l) => console.error(l)): Promise<LoadtestReport> {
  const padSamples = Math.ceil((o.chunkMs.max * 16_000) / 1000) + 1;
  const audio = await loadClips(o.clipsDir, padSamples);
  const calls = o.callShare > 0 ? await loadCallClips(o.clipsDir, padSamples) : null;
  if (calls !== null) log(`${Math.round(o.callShare * 100)} % of the streams are calls: 8 kHz μ-law, steep 300–3400 Hz band`);
  const report: LoadtestReport = {
    tool: 'ser-loadtest',
    reportVersion: 1,
    createdAt: new Date().toISOString(),
    argv,
    machine: describeMachine(),
    options: { ...o },
    clips: { dir: o.clipsDir, count: audio.clipNames.length, loopSeconds: audio.loopSamples / audio.sampleRateHz },
    trials: [],
    capacity: [],
    comparison: null,
  };
  const largest = o.findCapacity || o.compareNaive ? o.maxStreams : Math.max(...o.streams);
  for (const plan of serversToMeasure(o)) {
    let spawned: SpawnedServer | null = null;
    const stopOnSignal = (): void => void spawned?.stop().finally(() => process.exit(130));
    process.once('SIGINT', stopOnSignal);
    try {
      if (plan.spawnMode !== null) {
        log(`starting a ${plan.spawnMode} server…`);
        spawned = await spawnServer({
          mode: plan.spawnMode,
          extraArgs: o.serverArgs,
          cpuProfDir: o.serverCpuProf ? join(o.outDir, 'profiles', plan.spawnMode) : undefined,
          logFile: join(o.outDir, `server-${plan.spawnMode}.log`),
          maxStreams: largest,
        });
      }
      const url = spawned?.url ?? plan.url;
      if (url === undefined) throw new TypeError(`no URL for the ${plan.mode} server`);
      const target: ServerTarget = { url, mode: plan.mode, ...(spawned !== null ? { cpuSeconds: spawned.cpuSeconds } : {}) };
      const capacity = await measureOne(target, audio, calls, o, report.trials, log);
      if (capacity !== null) report.capacity.push(capacity);
    } finally {
      process.removeListener('SIGINT', stopOnSignal);
      await spawned?.stop();
    }
  }
  const streaming = report.capacity.find((c) => c.mode === 'streaming');
  const naive = report.capacity.find((c) => c.mode === 'naive');
  if (streaming !== undefined && naive !== undefined) {
    report.comparison = {
      streamingCapacity: streaming.capacityStreams,
      naiveCapacity: naive.capacityStreams,
      ratio: naive.capacityStreams > 0 ? streaming.capacityStreams / naive.capacityStreams : null,
    };
  }
  return report;
}
