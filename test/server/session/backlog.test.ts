/** The session's backlog (server/session/backlog.ts): unanswered audio, pause with hysteresis. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backlog } from '../../../server/session/backlog.js';

describe('backlog', () => {
  it('measures unanswered audio and pauses with hysteresis', () => {
    const backlog = new Backlog(32_000, 1_000); // 16 kHz s16 mono, 1 s limit
    backlog.received(48_000); // 1.5 s
    assert.equal(backlog.ms, 1500);
    assert.equal(backlog.bytes, 48_000);
    assert.equal(backlog.verdict(false), 'pause');
    assert.equal(backlog.wouldExceed(1), true);
    backlog.answered(750);
    assert.equal(backlog.verdict(true), null, 'still above half the limit');
    backlog.answered(1000);
    assert.equal(backlog.verdict(true), 'resume');
    backlog.answered(500);
    assert.equal(backlog.ms, 500, 'answers never go backwards');
    assert.throws(() => new Backlog(0, 1), /bytesPerSecond: expected > 0, got 0/);
  });
});
