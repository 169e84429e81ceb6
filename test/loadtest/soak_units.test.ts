/**
 * The soak's pure parts: least-squares slopes and the second half, the seeded churn plan,
 * option parsing, one sample from two scrapes, the tally of outcomes and the verdict.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFile } from 'node:fs/promises';
import { parsePrometheusText } from '../../loadtest/prometheus.js';
import { makeChurnPlans, type ChurnConfig } from '../../loadtest/soak/churn.js';
import { parseSoakOptions } from '../../loadtest/soak/options.js';
import { sampleOf } from '../../loadtest/soak/sampler.js';
import { churnWindow, leastSquaresFit, leastSquaresSlope, secondHalf, secondHalfSlopePerMinute, theilSenSlope, windowFloors } from '../../loadtest/soak/slope.js';
import { tallyOutcomes } from '../../loadtest/soak/tally.js';
import type { OutcomeTally, SoakSample } from '../../loadtest/soak/types.js';
import { judgeSoak, type VerdictInput } from '../../loadtest/soak/verdict.js';
import type { StreamOutcome } from '../../loadtest/types.js';

describe('slope', () => {
  it('recovers an exact line, skips non-finite values, NaN when undefined', () => {
    const points = [0, 10, 20, 30].map((t) => ({ tSeconds: t, value: 5 + 0.5 * t }));
    assert.deepEqual(leastSquaresFit(points), { slope: 0.5, intercept: 5 });
    assert.equal(leastSquaresSlope([...points, { tSeconds: 40, value: Number.NaN }]), 0.5);
    assert.ok(Number.isNaN(leastSquaresSlope([{ tSeconds: 1, value: 2 }])));
    assert.ok(Number.isNaN(leastSquaresSlope([{ tSeconds: 1, value: 2 }, { tSeconds: 1, value: 3 }])));
  });

  it('noise around a flat line has a slope near 0; a sawtooth (GC) does not read as a leak', () => {
    const noisy = Array.from({ length: 180 }, (_, i) => ({ tSeconds: i * 10, value: 300 + ((i * 7919) % 13) - 6 }));
    assert.ok(Math.abs(leastSquaresSlope(noisy) * 60) < 0.1);
    const saw = Array.from({ length: 180 }, (_, i) => ({ tSeconds: i * 10, value: 300 + (i % 12) * 2 }));
    assert.ok(Math.abs(leastSquaresSlope(saw) * 60) < 0.2);
  });

  it('second half: the points from the middle of the time span on; slope per minute over them', () => {
    const samples = [0, 10, 20, 30, 40].map((t) => ({ tSeconds: t, v: t < 20 ? 100 : 50 + t }));
    assert.deepEqual(secondHalf(samples).map((s) => s.tSeconds), [20, 30, 40]);
    assert.equal(secondHalfSlopePerMinute(samples, (s) => s.v), 60);
    assert.deepEqual(secondHalf([]), []);
    assert.deepEqual(churnWindow(samples, 25).map((s) => s.tSeconds), [0, 10, 20]);
  });

  it('Theil–Sen: exact on a line, unmoved by a few spikes; window floors are the minima', () => {
    const line = [0, 10, 20, 30, 40].map((t) => ({ tSeconds: t, value: 5 + 0.5 * t }));
    assert.equal(theilSenSlope(line), 0.5);
    const spiked = line.map((p, i) => (i === 4 ? { ...p, value: 1000 } : p));
    assert.equal(theilSenSlope(spiked), 0.5);
    assert.ok(Number.isNaN(theilSenSlope([{ tSeconds: 1, value: 2 }])));
    const floors = windowFloors([0, 5, 10, 15, 20].map((t) => ({ tSeconds: t, value: [3, 1, 7, 4, 9][t / 5] as number })), 10);
    assert.deepEqual(floors, [{ tSeconds: 5, value: 1 }, { tSeconds: 15, value: 4 }, { tSeconds: 25, value: 9 }]);
  });
});

const CHURN: ChurnConfig = {
  slots: 3, soakSeconds: 120, sessionSeconds: { min: 5, max: 20 }, gapSeconds: 1, rampSeconds: 3, slowReaders: 1, idleClients: 2,
  sampleRateHz: 16_000, chunkMs: { min: 20, max: 100 }, clipStartSamples: [0, 1000, 5000], seed: 7,
};

describe('churn plan', () => {
  it('is seeded, keeps each slot busy until the end, sessions within [min, max] but never past the soak', () => {
    const plans = makeChurnPlans(CHURN);
    assert.deepEqual(makeChurnPlans(CHURN), plans);
    assert.notDeepEqual(makeChurnPlans({ ...CHURN, seed: 8 }), plans);
    const normal = plans.filter((p) => p.behavior === undefined);
    assert.ok(normal.length >= 3 * Math.floor(120 / 21), `got ${normal.length} sessions`);
    for (const p of normal) {
      const seconds = p.totalSamples / 16_000;
      assert.ok(p.startOffsetMs / 1000 + seconds <= 120 + 1e-6);
      assert.ok(seconds <= 20 + 1e-6 && (seconds >= 5 - 1e-6 || p.startOffsetMs / 1000 + seconds >= 120 - 1e-6));
      assert.ok(p.chunkSamples >= 320 && p.chunkSamples <= 1600);
      assert.ok(CHURN.clipStartSamples.includes(p.audioOffsetSamples));
    }
    assert.deepEqual(plans.map((p) => p.streamId), plans.map((_, i) => i));
  });

  it('careless clients start in the first half, after the ramp', () => {
    const plans = makeChurnPlans(CHURN);
    const careless = plans.filter((p) => p.behavior !== undefined);
    assert.deepEqual(careless.map((p) => p.behavior).sort(), ['idle', 'idle', 'slow_reader']);
    for (const p of careless) assert.ok(p.startOffsetMs >= 3000 && p.startOffsetMs <= 60_000);
    assert.deepEqual(makeChurnPlans({ ...CHURN, slots: 0, slowReaders: 0, idleClients: 0 }), []);
  });
});

describe('soak options', () => {
  it('defaults; --capacity-share × --capacity; the errors say what was expected', () => {
    const o = parseSoakOptions([]);
    assert.equal(o.minutes, 60);
    assert.equal(o.streams, 10);
    assert.equal(o.sampleSeconds, 10);
    assert.deepEqual(o.sessionSeconds, { min: 10, max: 120 });
    assert.equal(parseSoakOptions(['--capacity-share', '0.8', '--capacity', '510']).streams, 408);
    assert.deepEqual(parseSoakOptions(['--server-arg=--a=1', '--server-arg=--b=2']).serverArgs, ['--a=1', '--b=2']);
    assert.throws(() => parseSoakOptions(['--streams', '5', '--capacity', '10', '--capacity-share', '0.8']), /either --streams/);
    assert.throws(() => parseSoakOptions(['--capacity-share', '0.8']), /together with --capacity/);
    assert.throws(() => parseSoakOptions(['--minutes', '0']), /--minutes: expected a number in \[0.1, 1440\], got 0/);
    assert.throws(() => parseSoakOptions(['--session-seconds', '30-10']), /expected A ≤ B/);
  });
});

describe('sampleOf', () => {
  it('reads memory, tensors and sessions from the window end, lag and latency from the window', () => {
    const prev = parsePrometheusText(
      ['ser_event_loop_lag_seconds_bucket{le="0.001"} 10', 'ser_event_loop_lag_seconds_bucket{le="0.01"} 10', 'ser_event_loop_lag_seconds_bucket{le="+Inf"} 10',
        'ser_event_loop_lag_seconds_count 10', 'ser_event_loop_lag_seconds_sum 0.005'].join('\n'),
    );
    const cur = parsePrometheusText(
      ['process_resident_memory_bytes 314572800', 'nodejs_heap_size_used_bytes 52428800', 'ser_model_tensors 42', 'ser_sessions_active 7',
        'nodejs_external_memory_bytes 1048576',
        'ser_worker_memory_bytes{worker="0",kind="heap_used"} 10485760', 'ser_worker_memory_bytes{worker="1",kind="heap_used"} 20971520',
        'ser_worker_memory_bytes{worker="0",kind="external"} 1048576', 'ser_worker_memory_bytes{worker="1",kind="external"} 2097152',
        'ser_worker_memory_bytes{worker="0",kind="wasm"} 33554432', 'ser_worker_memory_bytes{worker="1",kind="wasm"} 67108864',
        'ser_event_loop_lag_seconds_bucket{le="0.001"} 10', 'ser_event_loop_lag_seconds_bucket{le="0.01"} 20', 'ser_event_loop_lag_seconds_bucket{le="+Inf"} 20',
        'ser_event_loop_lag_seconds_count 20', 'ser_event_loop_lag_seconds_sum 0.06'].join('\n'),
    );
    const s = sampleOf(10, prev, cur, [5, 1, 3, 2, 4], 6);
    assert.equal(s.rssMb, 300);
    assert.equal(s.heapUsedMb, 50);
    assert.equal(s.tensors, 42);
    assert.deepEqual(s.memory, { mainHeapMb: 50, workerHeapMb: 30, externalMb: 4, wasmMb: 96 }, 'RSS parts, summed over the workers');
    assert.equal(sampleOf(10, null, prev, [], 0).memory, null, 'no parts from a server without the worker gauge');
    assert.equal(s.sessionsActive, 7);
    assert.equal(s.clientSessionsOpen, 6);
    assert.ok(s.eventLoopLagP99Ms !== null && s.eventLoopLagP99Ms > 1 && s.eventLoopLagP99Ms <= 10, `lag ${s.eventLoopLagP99Ms}`);
    assert.equal(s.serverLatencyP95Ms, null);
    assert.deepEqual(s.latency, { count: 5, p50Ms: 3, p95Ms: 5, p99Ms: 5, maxMs: 5 });
    const blind = sampleOf(20, null, null, [], 0);
    assert.equal(blind.rssMb, null);
    assert.equal(blind.latency.count, 0);
  });
});

const outcome = (over: Partial<StreamOutcome>): StreamOutcome => ({
  streamId: 0, started: true, errorCode: null, results: 10, missingResults: 0, finalSeen: true, summarySeen: true, unmatchedResults: 0,
  outOfOrder: 0, audioSentSeconds: 2.5, audioCoveredSeconds: 2.5, endToSummaryMs: 5, maxLatencyMs: 9, maxStalenessMs: 0, ...over,
});

describe('tally and verdict', () => {
  const outcomes = [
    outcome({}),
    outcome({}),
    outcome({ behavior: 'slow_reader', finalSeen: false, summarySeen: false, closeCode: 1006, dropped: true }),
    outcome({ behavior: 'idle', errorCode: 'idle_timeout', closeCode: 4008, dropped: true }),
  ];
  const flatSample: SoakSample = {
    tSeconds: 0, rssMb: 300, heapUsedMb: 50, memory: null, tensors: 40, sessionsActive: 3, clientSessionsOpen: 3, eventLoopLagP99Ms: 2, serverLatencyP95Ms: 3,
    latency: { count: 10, p50Ms: 5, p95Ms: 9, p99Ms: 9, maxMs: 9 },
  };
  const samples: SoakSample[] = [0, 10, 20, 30, 40].map((t) => ({ ...flatSample, tSeconds: t }));
  const good = (tally: OutcomeTally): VerdictInput => ({
    tally,
    serverDeltas: { errorsByCode: { slow_consumer: 1, idle_timeout: 1 }, timeoutsByKind: { slow_consumer: 1, idle: 1 }, sessionsByOutcome: {}, workerRestarts: 0 },
    samples,
    churnSeconds: 40,
    settle: { settledAfterSeconds: 1, sessionsActive: 0, tensors: 40 },
    rssSlopeToleranceMbPerMin: 1,
    tensorSlopeTolerancePerMin: 1,
  });

  it('tallies by kind', () => {
    const t = tallyOutcomes(outcomes);
    assert.deepEqual(t.normal, { planned: 2, started: 2, completed: 2, errorsByCode: {}, missingFinals: 0, missingSummaries: 0, missingResults: 0 });
    assert.deepEqual(t.slowReaders, { planned: 1, started: 1, dropped: 1, closeCodes: { 1006: 1 }, errorsByCode: {} });
    assert.deepEqual(t.idleClients, { planned: 1, started: 1, idleTimeouts: 1, closeCodes: { 4008: 1 }, errorsByCode: { idle_timeout: 1 } });
  });

  it('passes when everything ended as owed and the trends are flat', () => {
    const v = judgeSoak(good(tallyOutcomes(outcomes)));
    assert.deepEqual(v.checks.filter((c) => !c.pass), []);
    assert.equal(v.pass, true);
    assert.equal(v.rssSlopeMbPerMin, 0);
  });

  it('attributes a rising RSS to its parts: here the wasm high-water mark, the rest flat', () => {
    const rising = Array.from({ length: 61 }, (_, i): SoakSample => {
      const t = i * 10;
      const wasmMb = 64 + t / 30; // +2 MB/min
      return { ...flatSample, tSeconds: t, rssMb: 300 + t / 30, memory: { mainHeapMb: 50, workerHeapMb: 30, externalMb: 4, wasmMb } };
    });
    const v = judgeSoak({ ...good(tallyOutcomes(outcomes)), samples: rising, churnSeconds: 600 });
    const parts = v.partFloorSlopesMbPerMin;
    assert.ok(parts !== null, 'parts are reported when every sample has them');
    assert.ok(Math.abs(parts.wasmMb - 2) < 1e-9 && Math.abs(v.rssFloorSlopeMbPerMin - 2) < 1e-9, `wasm ${parts.wasmMb}, RSS ${v.rssFloorSlopeMbPerMin}`);
    assert.deepEqual([parts.mainHeapMb, parts.workerHeapMb, parts.externalMb, parts.rest], [0, 0, 0, 0], 'nothing else moves');
    assert.equal(judgeSoak(good(tallyOutcomes(outcomes))).partFloorSlopesMbPerMin, null, 'no parts, no attribution');
  });

  it('judges the trends on the churn only: a tail after it (careless clients waiting) does not count', () => {
    const tail = [50, 60, 70].map((t) => ({ ...samples[0], tSeconds: t, rssMb: 300 + t, tensors: 40 + t }) as SoakSample);
    const v = judgeSoak({ ...good(tallyOutcomes(outcomes)), samples: [...samples, ...tail] });
    assert.equal(v.flat, true);
    assert.equal(v.rssSlopeMbPerMin, 0);
  });

  it('fails on a normal session without summary, an unexpected code, an undropped careless client, a leak', () => {
    const bad = tallyOutcomes([outcome({ summarySeen: false, errorCode: 'end_timeout' }), outcome({ behavior: 'slow_reader', dropped: false })]);
    const input = good(bad);
    const v = judgeSoak({
      ...input,
      serverDeltas: { ...input.serverDeltas, errorsByCode: { internal: 1 } },
      samples: samples.map((s) => ({ ...s, rssMb: 300 + s.tSeconds, tensors: 40 + s.tSeconds })),
      settle: { settledAfterSeconds: null, sessionsActive: 2, tensors: 80 },
    });
    const failed = v.checks.filter((c) => !c.pass).map((c) => c.name);
    assert.deepEqual(failed, [
      'every normal session ends with final + summary',
      'slow readers dropped with slow_consumer',
      'idle clients dropped with idle_timeout',
      'no unexpected server errors, timeouts or worker restarts',
      'sessions and tensors back to baseline',
      'RSS flat over the second half',
      'tensors flat over the second half',
    ]);
    assert.equal(v.correct, false);
    assert.equal(v.flat, false);
    assert.equal(v.rssSlopeMbPerMin, 60);
    assert.equal(v.rssFloorSlopeMbPerMin, 60);
  });

  it('judges RSS by its floor: the sawtooth of a real hour passes, the same with a rising floor fails', async () => {
    // The hour soak of 2026-11-30 (360 streams): RSS between 515 and 650 MB with no trend in
    // its floor, but a tall tooth late in the run gave a least-squares slope of 1.8 MB/min.
    const report = JSON.parse(await readFile(new URL('../../docs/soak/2026-11-30-60min/report.json', import.meta.url), 'utf8')) as { samples: SoakSample[]; churnSeconds: number };
    const input = { ...good(tallyOutcomes(outcomes)), samples: report.samples, churnSeconds: report.churnSeconds };
    const hour = judgeSoak(input);
    assert.ok(hour.rssSlopeMbPerMin > 1, `least squares ${hour.rssSlopeMbPerMin}`);
    assert.ok(Math.abs(hour.rssFloorSlopeMbPerMin) < 1, `floor ${hour.rssFloorSlopeMbPerMin}`);
    assert.equal(hour.flat, true);
    // The same samples on a floor that rises 2 MB/min.
    const leak = judgeSoak({ ...input, samples: report.samples.map((s) => ({ ...s, rssMb: (s.rssMb ?? 0) + (2 * s.tSeconds) / 60 })) });
    assert.ok(leak.rssFloorSlopeMbPerMin > 1.5, `floor ${leak.rssFloorSlopeMbPerMin}`);
    assert.equal(leak.flat, false);
  });
});
