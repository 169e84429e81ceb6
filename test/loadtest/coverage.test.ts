import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoverageTracker } from '../../loadtest/coverage.js';

/** Results of a well-behaved server for `audioMs` of audio at hop `hopMs`. */
function feedAll(tracker: CoverageTracker, audioMs: number, hopMs: number, skip: Set<number> = new Set()): void {
  const hops = Math.ceil(audioMs / hopMs);
  for (let seq = 0; seq < hops; seq++) {
    if (skip.has(seq)) continue;
    const startMs = seq * hopMs;
    const endMs = Math.min(audioMs, (seq + 1) * hopMs);
    tracker.onResult(seq, startMs, endMs, seq === hops - 1);
  }
}

test('a complete stream has no missing results', () => {
  const t = new CoverageTracker({ hopMs: 250 });
  feedAll(t, 5_100, 250);
  t.onSummary();
  const r = t.report(5_100, true);
  assert.equal(r.missingResults, 0);
  assert.equal(r.results, 21);
  assert.ok(r.finalSeen && r.summarySeen);
  assert.equal(r.coveredMs, 5_100);
});

test('a skipped seq counts once, not again as a time gap', () => {
  const t = new CoverageTracker({ hopMs: 250 });
  feedAll(t, 5_000, 250, new Set([3, 7, 8]));
  assert.equal(t.report(5_000, true).missingResults, 3);
});

test('a time gap without a seq gap is still missing audio', () => {
  const t = new CoverageTracker({ hopMs: 250 });
  t.onResult(0, 0, 250, false);
  t.onResult(1, 750, 1000, true); // hops [250, 750) never reported
  assert.equal(t.report(1000, true).missingResults, 2);
});

test('endMs trailing the hop boundary by less than the tolerance is fine', () => {
  const t = new CoverageTracker({ hopMs: 250, toleranceMs: 30 });
  for (let seq = 0; seq < 4; seq++) t.onResult(seq, seq * 250, (seq + 1) * 250 - 15, seq === 3);
  assert.equal(t.report(1000, true).missingResults, 0);
});

test('an uncovered tail and a missing final are missing results', () => {
  const cut = new CoverageTracker({ hopMs: 250 });
  feedAll(cut, 500, 250);
  // The stream sent 1000 ms but results stop at 500 ms: two hops missing.
  assert.equal(cut.report(1000, true).missingResults, 2);

  const noFinal = new CoverageTracker({ hopMs: 250 });
  for (let seq = 0; seq < 4; seq++) noFinal.onResult(seq, seq * 250, (seq + 1) * 250, false);
  const r = noFinal.report(1000, true);
  assert.equal(r.finalSeen, false);
  assert.equal(r.missingResults, 1);
  // Without `end`, no final is owed.
  assert.equal(noFinal.report(1000, false).missingResults, 0);
});

test('repeated or backwards seq numbers are counted as out of order', () => {
  const t = new CoverageTracker({ hopMs: 250 });
  t.onResult(0, 0, 250, false);
  t.onResult(0, 0, 250, false);
  t.onResult(1, 250, 500, true);
  const r = t.report(500, true);
  assert.equal(r.outOfOrder, 1);
  assert.equal(r.missingResults, 0);
  assert.throws(() => new CoverageTracker({ hopMs: 0 }), /hopMs > 0/);
});

test('endMs lagging the hop end by a model step is staleness, not a missing result', () => {
  // As the real server reports: the last contributing sample trails the hop end by 5–75 ms.
  const t = new CoverageTracker({ hopMs: 250 });
  const ends = [245, 495, 745, 995, 1215, 1455, 1695, 1935, 2175, 2495, 2745, 2995];
  ends.forEach((endMs, seq) => t.onResult(seq, seq * 250, endMs, false));
  t.onResult(12, 3000, 2995, true);
  const r = t.report(3000, true);
  assert.equal(r.missingResults, 0);
  assert.equal(r.maxStalenessMs, 75);
});

test('a final result may leave out an unfinished model step, not more', () => {
  // The stream ends 55 ms after the model's last step: those frames never complete a step.
  const t = new CoverageTracker({ hopMs: 250 });
  for (let seq = 0; seq < 20; seq++) t.onResult(seq, seq * 250, (seq + 1) * 250 - 5, false);
  t.onResult(20, 5000, 4945, true);
  assert.equal(t.report(5000, true).missingResults, 0);
  // Without a final result the ordinary tolerance holds.
  const noFinal = new CoverageTracker({ hopMs: 250 });
  for (let seq = 0; seq < 20; seq++) noFinal.onResult(seq, seq * 250, (seq + 1) * 250 - 60, false);
  assert.equal(noFinal.report(5000, false).missingResults, 1);
});
