/**
 * The worker's batch scheduler (server/workers/scheduler.ts) on a fake clock: which requests a
 * round takes, in which order sessions rotate, and when a round is started.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adaptiveBatchWindowMs, BatchScheduler, type SchedulerTimers } from '../../../server/workers/scheduler.js';

/** A clock moved by hand; planned rounds wait in `planned` until `fire()`. */
class FakeTimers implements SchedulerTimers {
  nowMs = 0;
  planned: { kind: 'immediate' | 'after'; ms: number; run: () => void }[] = [];
  now(): number {
    return this.nowMs;
  }
  immediate(run: () => void): void {
    this.planned.push({ kind: 'immediate', ms: 0, run });
  }
  after(ms: number, run: () => void): void {
    this.planned.push({ kind: 'after', ms, run });
  }
  /** Runs the oldest planned round (moving the clock for a delayed one). */
  fire(): void {
    const next = this.planned.shift();
    assert.ok(next !== undefined, 'a round was planned');
    this.nowMs += next.ms;
    next.run();
  }
}

/** A queued item: its session, and an id to tell requests apart. */
interface Request {
  sessionId: string;
  requestId: number;
}

const request = (sessionId: string, requestId: number): Request => ({ sessionId, requestId });

function setup(maxBatchStreams: number, windowMs = 0) {
  const timers = new FakeTimers();
  const rounds: string[][] = [];
  const scheduler = new BatchScheduler<Request>({
    maxBatchStreams,
    batchWindowMs: () => windowMs,
    runRound: (taken) => rounds.push(taken.map((r) => `${r.sessionId}${r.requestId}`)),
    timers,
  });
  return { timers, rounds, scheduler };
}

describe('batch scheduler', () => {
  it('takes one request per session per round, oldest first, and rotates busy sessions to the back', () => {
    const { timers, rounds, scheduler } = setup(2);
    for (const r of [request('a', 1), request('a', 2), request('a', 3), request('b', 1), request('c', 1)]) scheduler.enqueue(r);
    scheduler.schedule();
    while (timers.planned.length > 0) timers.fire();
    assert.deepEqual(rounds, [['a1', 'b1'], ['c1', 'a2'], ['a3']]);
    assert.equal(scheduler.sessionsWaiting, 0);
  });

  it('waits out the batch window after a round unless a full batch is waiting', () => {
    const { timers, rounds, scheduler } = setup(3, 10);
    scheduler.enqueue(request('a', 1));
    scheduler.schedule();
    assert.deepEqual(timers.planned.map((p) => p.kind), ['immediate'], 'no round yet: at once');
    timers.fire(); // round at t = 0
    timers.nowMs = 4;
    scheduler.enqueue(request('a', 2));
    scheduler.schedule();
    scheduler.schedule(); // one plan at a time
    assert.deepEqual(timers.planned.map((p) => [p.kind, p.ms]), [['after', 6]]);
    timers.fire(); // round at t = 10
    assert.equal(timers.nowMs, 10);
    timers.nowMs = 12;
    for (const id of ['a', 'b', 'c']) scheduler.enqueue(request(id, 3));
    scheduler.schedule();
    assert.deepEqual(timers.planned.map((p) => p.kind), ['immediate'], 'a full batch goes at once');
    timers.fire();
    assert.deepEqual(rounds, [['a1'], ['a2'], ['a3', 'b3', 'c3']]);
    scheduler.schedule();
    assert.equal(timers.planned.length, 0, 'nothing waiting: nothing planned');
  });

  it('drop returns and forgets a closed session’s requests', () => {
    const { timers, rounds, scheduler } = setup(4);
    scheduler.enqueue(request('a', 1));
    scheduler.enqueue(request('b', 1));
    scheduler.enqueue(request('a', 2));
    assert.deepEqual(
      scheduler.drop('a').map((r) => r.requestId),
      [1, 2],
    );
    assert.deepEqual(scheduler.drop('x'), []);
    scheduler.schedule();
    timers.fire();
    assert.deepEqual(rounds, [['b1']]);
  });

  it('the streaming batch window grows with the streams served, between the configured one and 20 ms', () => {
    assert.equal(adaptiveBatchWindowMs(2, 10), 2);
    assert.equal(adaptiveBatchWindowMs(2, 100), 10);
    assert.equal(adaptiveBatchWindowMs(2, 1000), 20);
    assert.equal(adaptiveBatchWindowMs(30, 1000), 30);
  });
});
