/**
 * The soak's verdict, pure. Correctness (must hold on any machine, at any load): every
 * normal session ends with final + summary and no error or missing result; every slow
 * reader is dropped with `slow_consumer` and every idle client with `idle_timeout` (both
 * expected, counted by the server); no other error, timeout or worker restart; sessions and
 * tensors back at their baseline afterwards. Trend (the bar of a long soak), over the second
 * half of the churn: the slope of RSS's floor (the minimum of each of six windows: RSS is a
 * sawtooth, a leak lifts its floor) and the tensor slope at most their tolerances. The
 * least-squares RSS slope is reported beside it, not judged: one tooth near either end of
 * the half moves it by more than any tolerance worth having.
 */
import { churnWindow, secondHalfFloorSlopePerMinute, secondHalfSlopePerMinute } from './slope.js';
import type { MemoryParts, OutcomeTally, ServerDeltas, SettleState, SoakCheck, SoakSample, SoakVerdict } from './types.js';

export interface VerdictInput {
  tally: OutcomeTally;
  serverDeltas: ServerDeltas;
  samples: readonly SoakSample[];
  /** Length of the churn, s: the trends are judged on the second half of [0, churnSeconds]. */
  churnSeconds: number;
  settle: SettleState;
  rssSlopeToleranceMbPerMin: number;
  tensorSlopeTolerancePerMin: number;
}

/** Error codes and timeout kinds the careless clients are owed, each as often as there are such clients. */
const EXPECTED = { error: ['slow_consumer', 'idle_timeout'], timeout: ['slow_consumer', 'idle'] };

const list = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .filter(([, n]) => n !== 0)
    .map(([k, n]) => `${k}=${n}`)
    .join(' ') || 'none';

function unexpected(counts: Record<string, number>, expected: readonly string[]): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([k, n]) => n !== 0 && !expected.includes(k)));
}

export function judgeSoak(input: VerdictInput): SoakVerdict {
  const { tally, serverDeltas: d, settle } = input;
  const checks: SoakCheck[] = [];
  const check = (kind: SoakCheck['kind'], name: string, pass: boolean, detail: string): void => {
    checks.push({ kind, name, pass, detail });
  };
  const n = tally.normal;
  check(
    'correctness',
    'every normal session ends with final + summary',
    n.started === n.planned && n.completed === n.started,
    `${n.completed}/${n.planned} completed; ${n.planned - n.started} never started; errors ${list(n.errorsByCode)}; ${n.missingFinals} missing finals, ${n.missingSummaries} missing summaries`,
  );
  check('correctness', 'no missing results', n.missingResults === 0, `${n.missingResults} hops unanswered`);
  const slow = tally.slowReaders;
  const slowCounted = d.timeoutsByKind.slow_consumer ?? 0;
  check(
    'correctness',
    'slow readers dropped with slow_consumer',
    slow.dropped === slow.planned && slowCounted === slow.planned && (d.errorsByCode.slow_consumer ?? 0) === slow.planned,
    `${slow.dropped}/${slow.planned} dropped (close codes ${list(slow.closeCodes)}); server counted ${slowCounted} slow_consumer timeouts, ${d.errorsByCode.slow_consumer ?? 0} errors`,
  );
  const idle = tally.idleClients;
  const idleCounted = d.timeoutsByKind.idle ?? 0;
  check(
    'correctness',
    'idle clients dropped with idle_timeout',
    idle.idleTimeouts === idle.planned && idleCounted === idle.planned,
    `${idle.idleTimeouts}/${idle.planned} got idle_timeout (errors ${list(idle.errorsByCode)}, close codes ${list(idle.closeCodes)}); server counted ${idleCounted}`,
  );
  const badErrors = unexpected(d.errorsByCode, EXPECTED.error);
  const badTimeouts = unexpected(d.timeoutsByKind, EXPECTED.timeout);
  check(
    'correctness',
    'no unexpected server errors, timeouts or worker restarts',
    Object.keys(badErrors).length === 0 && Object.keys(badTimeouts).length === 0 && d.workerRestarts === 0,
    `errors ${list(badErrors)}; timeouts ${list(badTimeouts)}; worker restarts ${d.workerRestarts ?? 'not reported'}`,
  );
  check(
    'correctness',
    'sessions and tensors back to baseline',
    settle.settledAfterSeconds !== null,
    settle.settledAfterSeconds !== null
      ? `after ${settle.settledAfterSeconds.toFixed(0)} s`
      : `not within the settle time: ${settle.sessionsActive ?? '?'} sessions, ${settle.tensors ?? '?'} tensors`,
  );
  const churn = churnWindow(input.samples, input.churnSeconds);
  const rssSlopeMbPerMin = secondHalfSlopePerMinute(churn, (s) => s.rssMb);
  const rssFloorSlopeMbPerMin = secondHalfFloorSlopePerMinute(churn, (s) => s.rssMb);
  const heapSlopeMbPerMin = secondHalfSlopePerMinute(churn, (s) => s.heapUsedMb);
  const tensorSlopePerMin = secondHalfSlopePerMinute(churn, (s) => s.tensors);
  check(
    'trend',
    'RSS flat over the second half',
    rssFloorSlopeMbPerMin <= input.rssSlopeToleranceMbPerMin,
    `floor ${rssFloorSlopeMbPerMin.toFixed(2)} MB/min (tolerance ${input.rssSlopeToleranceMbPerMin}); least squares ${rssSlopeMbPerMin.toFixed(2)} MB/min, not judged`,
  );
  check(
    'trend',
    'tensors flat over the second half',
    tensorSlopePerMin <= input.tensorSlopeTolerancePerMin,
    `${tensorSlopePerMin.toFixed(2)} tensors/min (tolerance ${input.tensorSlopeTolerancePerMin})`,
  );
  const partFloorSlopesMbPerMin = churn.length > 0 && churn.every((s) => (s.memory ?? null) !== null) ? partSlopes(churn) : null;
  const correct = checks.every((c) => c.kind !== 'correctness' || c.pass);
  const flat = checks.every((c) => c.kind !== 'trend' || c.pass);
  return { pass: correct && flat, correct, flat, rssSlopeMbPerMin, rssFloorSlopeMbPerMin, heapSlopeMbPerMin, tensorSlopePerMin, partFloorSlopesMbPerMin, checks };
}

/** Floor slope of each part of RSS and of the rest, over the second half (every sample has its parts). */
function partSlopes(churn: readonly SoakSample[]): NonNullable<SoakVerdict['partFloorSlopesMbPerMin']> {
  const part = (pick: (m: MemoryParts) => number): number => secondHalfFloorSlopePerMinute(churn, (s) => (s.memory == null ? null : pick(s.memory)));
  return {
    mainHeapMb: part((m) => m.mainHeapMb),
    workerHeapMb: part((m) => m.workerHeapMb),
    externalMb: part((m) => m.externalMb),
    wasmMb: part((m) => m.wasmMb),
    rest: secondHalfFloorSlopePerMinute(churn, (s) =>
      s.memory == null || s.rssMb === null ? null : s.rssMb - s.memory.mainHeapMb - s.memory.workerHeapMb - s.memory.externalMb - s.memory.wasmMb,
    ),
  };
}
