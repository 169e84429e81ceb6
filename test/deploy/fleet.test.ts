/**
 * The fleet, for real: three server processes on loopback behind HAProxy (configured by
 * deploy/haproxy/haproxy.cfg), Prometheus scraping each replica with the deployed alert
 * rules loaded, callers streaming speech through the balancer with the SDK (auto-reconnect
 * on) and with the load generator. Checked:
 *
 * - Prometheus' sum(ser_sessions_active) equals the streams open at that moment, per
 *   replica too; the load generator through the balancer loses no result.
 * - SIGTERM of a replica mid-call: its calls' sessions finish (final result + summary, no
 *   missing result), the calls go on elsewhere; HAProxy sends it no new session once it is
 *   down, and none is refused meanwhile; the other replicas' sessions are untouched.
 * - SIGKILL of a replica: its calls see the drop (1006) and the SDK lands them on another
 *   replica; the other replicas' sessions are untouched.
 * - A rolling restart of all three under load: no call fails and no session loses a result.
 *
 * No timing is asserted (speed belongs in BENCHMARKS.md); waits are bounded polls.
 * Skips with a message when haproxy or prometheus is not installed (.ci/run installs both).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LoadtestReport } from '../../loadtest/types.js';
import { until } from '../helpers/server.js';
import { Call, callAudio, type CallRecord } from './fleet/caller.js';
import { callProblems } from './fleet/checks.js';
import { startFleet, type Fleet } from './fleet/fleet.js';
import type { Replica } from './fleet/replica.js';
import { REPO_ROOT, skipUnless } from './fleet/tools.js';

const skip = skipUnless(['haproxy', 'prometheus'], 'apt-get install haproxy prometheus; .ci/run installs them');
if (skip !== undefined) console.log(`# fleet test skipped: ${skip}`);

const WAIT_MS = 60_000;

describe('fleet: 3 replicas behind HAProxy, scraped by Prometheus', { skip }, () => {
  let fleet: Fleet;
  const calls: Call[] = [];
  let nextCallId = 0;

  const startCall = async (seconds: number): Promise<Call> => {
    const id = nextCallId++;
    const call = new Call(fleet.lb.wsUrl, id, await callAudio(seconds, id * 1700));
    calls.push(call);
    return call;
  };
  const startCalls = (n: number, seconds: number): Promise<Call[]> => Promise.all(Array.from({ length: n }, () => startCall(seconds)));
  /** Until every call of `group` has an open session that has received `results` results. */
  const live = (group: Call[], results = 1): Promise<void> =>
    until(`${group.length} calls to stream`, () => group.every((c) => c.current?.ended === 'open' && c.current.results.length >= results), WAIT_MS);
  const finish = async (group: Call[]): Promise<CallRecord[]> => {
    for (const c of group) c.endNow();
    return Promise.all(group.map((c) => c.done));
  };
  const activeSum = async (): Promise<number> => (await fleet.prometheus.scalar('sum(ser_sessions_active{job="ser"})')) ?? 0;
  /** Calls whose session is open now, per replica. */
  const openOn = (replica?: string): number =>
    calls.filter((c) => c.record.outcome === 'running' && c.current?.ended === 'open' && (replica === undefined || c.current.replica === replica)).length;
  /** Prometheus' sum(ser_sessions_active), in total and per replica, equals the calls open now: `expected` of them. */
  const gaugesAgree = async (expected: number): Promise<boolean> => {
    if (openOn() !== expected || (await activeSum()) !== expected) return false;
    const seen = new Map<string, number>();
    for (const s of await fleet.prometheus.query('sum by (replica) (ser_sessions_active{job="ser"})')) seen.set(s.labels.replica ?? '', s.value);
    return fleet.replicas.every((r) => (seen.get(r.name) ?? 0) === openOn(r.name));
  };
  /** Ends `group` however the test went, and brings `victim` back if it is down. */
  const cleanUp = async (group: Call[], victim?: Replica): Promise<void> => {
    await finish(group);
    if (victim !== undefined && !victim.running) await victim.start();
    await allUp();
  };
  const allUp = (): Promise<void> =>
    until('HAProxy to mark every replica UP', async () => [...(await fleet.lb.servers()).values()].every((s) => s.status === 'UP'), WAIT_MS);

  before(async () => {
    fleet = await startFleet(3);
  });

  after(async () => {
    for (const c of calls) c.endNow();
    await Promise.race([Promise.all(calls.map((c) => c.done)), new Promise((resolve) => setTimeout(resolve, 20_000))]);
    await fleet?.stop();
  });

  it('loads the deployed alert rules, all healthy', async () => {
    await until('every rule to be evaluated', async () => (await fleet.prometheus.rules()).every((g) => g.rules.every((r) => r.health === 'ok')), WAIT_MS);
    const names = (await fleet.prometheus.rules()).flatMap((g) => g.rules.map((r) => r.name));
    assert.ok(names.includes('SerResultLatencyP95OverBudget') && names.includes('SerModelTensorsGrowing'), names.join(', '));
  });

  it('sum(ser_sessions_active) equals the open streams; the load generator through the balancer loses nothing', async () => {
    const group = await startCalls(9, 120);
    try {
      await live(group);
      await until('Prometheus to count the 9 open streams, per replica too', () => gaugesAgree(9), WAIT_MS);
      const replicasUsed = new Set(group.map((c) => c.current?.replica));
      assert.equal(replicasUsed.size, 3, `leastconn spreads 9 calls over all 3 replicas, got ${[...replicasUsed].join(', ')}`);

      const hungUp = await finish(group.slice(0, 4));
      const open = group.slice(4);
      await until('Prometheus to follow 4 hang-ups: 5 open streams, per replica too', () => gaugesAgree(5), WAIT_MS);

      // The load generator: 12 more streams through the balancer while the 5 calls go on.
      const out = join(fleet.dir, 'loadtest');
      const generator = spawn(
        process.execPath,
        ['--import', 'tsx', 'loadtest/run.ts', '--url', fleet.lb.url, '--streams', '12', '--duration', '12', '--ramp', '1', '--workers', '1',
          '--p95-budget-ms', '60000', '--cooldown', '0', '--no-progress', '--out', out],
        { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let generatorLog = '';
      generator.stdout.on('data', (d: Buffer) => (generatorLog += d.toString()));
      generator.stderr.on('data', (d: Buffer) => (generatorLog += d.toString()));
      const exited = once(generator, 'exit') as Promise<[number | null]>;
      let running = true;
      void exited.then(() => (running = false));
      let saw17 = false;
      await until('Prometheus to count the 12 generated streams with the 5 calls (or the generator to finish)', async () => {
        saw17 ||= (await activeSum()) === 17;
        return saw17 || !running;
      }, 120_000);
      const [code] = await exited;
      assert.equal(code, 0, `loadtest exit code\n${generatorLog}`);
      assert.ok(saw17, 'Prometheus saw 17 open streams during the generator run');
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as LoadtestReport;
      const trial = report.trials[0];
      assert.ok(trial !== undefined);
      assert.deepEqual(
        { started: trial.sessionsStarted, completed: trial.sessionsCompleted, rejected: trial.sessionsRejected, errors: trial.errorsByCode, missing: trial.missingResults, finals: trial.missingFinals, summaries: trial.missingSummaries },
        { started: 12, completed: 12, rejected: 0, errors: {}, missing: 0, finals: 0, summaries: 0 },
      );

      const rest = await finish(open);
      await until('Prometheus to count 0 open streams', () => gaugesAgree(0), WAIT_MS);
      for (const call of [...hungUp, ...rest]) {
        assert.deepEqual(callProblems(call), []);
        assert.equal(call.segments.length, 1, `call ${call.id} kept its session`);
      }
    } finally {
      await cleanUp(group);
    }
  });

  it('SIGTERM mid-call: the replica drains (final + summary), the balancer stops sending it sessions, no result is lost', async () => {
    const victim = fleet.replicas[0];
    assert.ok(victim !== undefined);
    const before = await startCalls(9, 120);
    const duringDelay: Call[] = [];
    const afterDown: Call[] = [];
    try {
      await live(before, 2);
      const onVictim = before.filter((c) => c.current?.replica === victim.name);
      assert.ok(onVictim.length > 0, 'leastconn put calls on every replica');

      const exit = victim.stop('SIGTERM');
      // During the drain delay the replica still admits: calls arriving now are served somewhere.
      duringDelay.push(...(await startCalls(3, 120)));
      await until(`HAProxy to mark ${victim.name} down`, async () => (await fleet.lb.status(victim.name)).startsWith('DOWN'), WAIT_MS);
      afterDown.push(...(await startCalls(6, 120)));
      await live(afterDown);
      assert.equal(await exit, 0, `${victim.name} exits 0 after its drain`);
      await live([...before, ...duringDelay]);
      await until('Prometheus to count the 18 calls on the two replicas left, none on the drained one', async () => (await gaugesAgree(18)) && openOn(victim.name) === 0, WAIT_MS);

      const records = await finish([...before, ...duringDelay, ...afterDown]);
      for (const call of records) assert.deepEqual(callProblems(call), [], `call ${call.id}`);
      for (const call of onVictim) {
        const [first, ...rest] = call.record.segments;
        assert.equal(first?.replica, victim.name);
        assert.equal(first?.ended, 'drained', `call ${call.record.id}: its session on ${victim.name} was finished by the drain`);
        assert.ok(rest.length > 0 && rest.every((s) => s.replica !== victim.name), `call ${call.record.id} went on elsewhere`);
      }
      for (const call of before.filter((c) => !onVictim.includes(c))) {
        assert.equal(call.record.segments.length, 1, `call ${call.record.id} on another replica was untouched`);
      }
      for (const call of afterDown) {
        assert.ok(call.record.segments.every((s) => s.replica !== victim.name), `call ${call.record.id} started after ${victim.name} went down avoided it`);
      }
    } finally {
      await cleanUp([...before, ...duringDelay, ...afterDown], victim);
    }
  });

  it('SIGKILL mid-call: its calls see the drop and reconnect elsewhere; the other replicas are untouched', async () => {
    const victim = fleet.replicas[1];
    assert.ok(victim !== undefined);
    const group = await startCalls(9, 120);
    try {
      await live(group, 2);
      const onVictim = group.filter((c) => c.current?.replica === victim.name);
      const others = group.filter((c) => !onVictim.includes(c));
      assert.ok(onVictim.length > 0, 'leastconn put calls on every replica');

      assert.equal(await victim.stop('SIGKILL'), null);
      await until('the killed replica\'s calls to reconnect', () => onVictim.every((c) => c.record.segments.length >= 2 && c.current?.ended === 'open'), WAIT_MS);
      await until('Prometheus to see the replica down', async () => (await fleet.prometheus.scalar(`up{job="ser",replica="${victim.name}"}`)) === 0, WAIT_MS);
      await until('Prometheus to count all 9 calls on the two replicas left', () => gaugesAgree(9), WAIT_MS);

      const records = await finish(group);
      for (const call of onVictim) {
        const first = call.record.segments[0];
        assert.equal(first?.replica, victim.name);
        assert.equal(first?.ended, 'lost', `call ${call.record.id} saw its session drop`);
        assert.equal(first?.lostCloseCode, 1006, `call ${call.record.id}: closed without a close frame`);
        assert.ok(call.record.segments.slice(1).every((s) => s.replica !== victim.name), `call ${call.record.id} reconnected elsewhere`);
      }
      for (const call of others) assert.equal(call.record.segments.length, 1, `call ${call.record.id} on another replica was untouched`);
      const excuse = (s: { replica: string; ended: string }): boolean => s.replica === victim.name && s.ended === 'lost';
      for (const call of records) assert.deepEqual(callProblems(call, excuse), [], `call ${call.id}`);
    } finally {
      await cleanUp(group, victim);
    }
  });

  it('rolling restart under load: no call fails, no session loses a result', async () => {
    const long = await startCalls(6, 120);
    const arriving: Call[] = [];
    let restarting = true;
    try {
      await live(long);
      // New calls keep arriving through the whole restart, as traffic does.
      const arrivals = (async () => {
        while (restarting) {
          arriving.push(await startCall(3 + (arriving.length % 3)));
          await new Promise((resolve) => setTimeout(resolve, 400));
        }
      })();
      for (const replica of fleet.replicas) {
        assert.equal(await replica.stop('SIGTERM'), 0, `${replica.name} drained and exited 0`);
        await replica.start();
        await allUp();
      }
      restarting = false;
      await arrivals;
      const records = await finish([...long, ...arriving]);
      assert.ok(arriving.length > 0);
      for (const call of records) assert.deepEqual(callProblems(call), [], `call ${call.id}`);
      const drained = records.flatMap((c) => c.segments).filter((s) => s.ended === 'drained');
      assert.ok(drained.length >= long.length, `every long call was drained at least once (${drained.length} drained sessions)`);
    } finally {
      restarting = false;
      for (const replica of fleet.replicas) if (!replica.running) await replica.start();
      await cleanUp([...long, ...arriving]);
    }
  });
});
