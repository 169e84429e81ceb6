/**
 * Alert rules and their tracker, with synthetic results: validation with "expected X, got
 * Y", raise only after `forMs` at/above the threshold, clear only after `clearForMs` below
 * the release level (hysteresis: one loud or quiet hop changes nothing), per channel.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EmotionMessage } from '../../shared/protocol.js';
import { resolveAlertRules } from '../../server/alerts/rules.js';
import { AlertTracker } from '../../server/alerts/tracker.js';

const HOP_MS = 250;

function result(seq: number, angry: number, channel?: number, channelLabel?: string): EmotionMessage {
  const message: EmotionMessage = {
    type: 'emotion',
    seq,
    startMs: seq * HOP_MS,
    endMs: (seq + 1) * HOP_MS,
    probs: { neutral: 1 - angry, angry },
    top: angry > 0.5 ? 'angry' : 'neutral',
    confidence: Math.max(angry, 1 - angry),
    voiced: true,
    arousal: 0,
    valence: 0,
  };
  if (channel !== undefined) message.channel = channel;
  if (channelLabel !== undefined) message.channelLabel = channelLabel;
  return message;
}

/** Feeds `values` (one per hop) and returns [hop index, state] of every alert. */
function run(tracker: AlertTracker, values: number[], channel?: number, label?: string): [number, string][] {
  const out: [number, string][] = [];
  values.forEach((v, seq) => {
    for (const alert of tracker.push(result(seq, v, channel, label), (seq + 1) * HOP_MS)) out.push([seq, alert.state]);
  });
  return out;
}

describe('alert rules', () => {
  it('fills defaults and validates with clear messages', () => {
    const [rule] = resolveAlertRules([{ name: 'angry', label: 'angry', threshold: 0.6 }], ['neutral', 'angry']);
    assert.deepEqual(rule, { name: 'angry', label: 'angry', threshold: 0.6, forMs: 5000, release: 0.5, clearForMs: 2000 });
    assert.throws(() => resolveAlertRules([{ name: 'x', label: 'furious', threshold: 0.6 }], ['neutral', 'angry']), /alertRules\[0\]\.label: expected one of the model's labels \(neutral, angry\), got "furious"/);
    assert.throws(() => resolveAlertRules([{ name: 'x', label: 'angry', threshold: 1.5 }]), /threshold: expected a number in \(0, 1\], got 1.5/);
    assert.throws(() => resolveAlertRules([{ name: 'x', label: 'angry', threshold: 0.6, release: 0.7 }]), /release: expected a number in \[0, 0.6\], got 0.7/);
    assert.throws(() => resolveAlertRules([{ name: 'x', label: 'angry', threshold: 0.5 }, { name: 'x', label: 'angry', threshold: 0.5 }]), /alertRules\[1\]\.name: expected a unique string/);
    assert.throws(() => resolveAlertRules('nope'), /alertRules: expected a list/);
  });
});

describe('AlertTracker', () => {
  const rules = resolveAlertRules([{ name: 'caller_angry', label: 'angry', threshold: 0.6, forMs: 1000, release: 0.4, clearForMs: 500 }]);

  it('raises after forMs at/above the threshold, not on one loud hop', () => {
    // One loud hop, a dip, then four loud hops (= 1000 ms from the start of the run).
    const alerts = run(new AlertTracker(rules), [0.9, 0.1, 0.7, 0.7, 0.7, 0.7, 0.7]);
    assert.deepEqual(alerts, [[5, 'raised']]);
  });

  it('clears only after clearForMs below the release level (between the levels holds)', () => {
    const values = [0.7, 0.7, 0.7, 0.7, 0.5, 0.5, 0.5, 0.3, 0.8, 0.3, 0.3];
    assert.deepEqual(run(new AlertTracker(rules), values), [[3, 'raised'], [10, 'cleared']]);
  });

  it('follows each channel on its own, and a rule bound to a label only that channel', () => {
    const bound = new AlertTracker(resolveAlertRules([{ name: 'a', label: 'angry', channel: 'caller', threshold: 0.6, forMs: 500 }]));
    assert.deepEqual(run(bound, [0.9, 0.9, 0.9], 0, 'agent'), []);
    assert.deepEqual(run(bound, [0.9, 0.9, 0.9], 1, 'caller'), [[1, 'raised']]);
    const any = new AlertTracker(resolveAlertRules([{ name: 'a', label: 'angry', threshold: 0.6, forMs: 500 }]));
    assert.deepEqual(run(any, [0.9, 0.9], 0), [[1, 'raised']]);
    assert.deepEqual(run(any, [0.9, 0.9], 1), [[1, 'raised']]);
  });

  it('says which rule, channel, label, value and stream time', () => {
    const tracker = new AlertTracker(resolveAlertRules([{ name: 'r', label: 'angry', threshold: 0.6, forMs: 0 }]));
    assert.deepEqual(tracker.push(result(2, 0.75, 1, 'caller'), 750), [
      { type: 'alert', rule: 'r', state: 'raised', label: 'angry', value: 0.75, atMs: 750, channel: 1, channelLabel: 'caller' },
    ]);
  });
});
