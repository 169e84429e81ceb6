/**
 * The wallboard's per-call state without a browser: which channel is the caller, trends
 * and timelines bounded, the highlight after `seconds` of the caller's negative arousal
 * (not before, not on the agent's), held through a short dip, cleared after
 * `releaseSeconds`, and raised server alerts highlighting too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EmotionMessage } from '../../shared/protocol.js';
import type { SessionInfo } from '../../shared/watch.js';
import { CallModel, TREND_POINTS, callerChannel } from '../../client/browser/wallboard_model.js';

const HOP_MS = 250;

function info(labels: (string | undefined)[]): SessionInfo {
  return {
    id: 's',
    source: 'stream',
    externalIds: {},
    channelMode: labels.length > 1 ? 'separate' : 'mix',
    channels: labels.map((l, channel) => ({ channel, ...(l !== undefined ? { channelLabel: l } : {}), top: null, confidence: null, arousal: null, valence: null, voiced: false, atMs: 0 })),
    startedAt: new Date(0).toISOString(),
    watchers: 0,
  };
}

function hop(seq: number, channel: number, arousal: number, valence: number, voiced = true): EmotionMessage {
  return { type: 'emotion', seq, startMs: seq * HOP_MS, endMs: (seq + 1) * HOP_MS - 5, probs: { angry: 1 }, top: 'angry', confidence: 1, voiced, arousal, valence, channel };
}

describe('CallModel', () => {
  it('finds the caller channel by label, else the second of two, else the only one', () => {
    assert.equal(callerChannel(info(['caller', 'agent'])), 0);
    assert.equal(callerChannel(info(['inbound', 'outbound'])), 0);
    assert.equal(callerChannel(info([undefined, undefined])), 1);
    assert.equal(callerChannel(info([undefined])), 0);
  });

  it("highlights after `seconds` of the caller's negative arousal, holds through a short dip, clears after release", () => {
    const model = new CallModel(info(['agent', 'caller']), { arousal: 0.4, seconds: 2, releaseSeconds: 1 });
    // The agent's tension never counts.
    for (let i = 0; i < 20; i += 1) model.apply(hop(i, 0, 0.9, -0.5));
    assert.equal(model.highlighted, false);
    // Caller: 1.5 s tense, a break (restarts the run), then 2 s tense.
    let seq = 0;
    for (; seq < 6; seq += 1) model.apply(hop(seq, 1, 0.6, -0.4));
    model.apply(hop(seq++, 1, 0.6, 0.2));
    assert.equal(model.highlighted, false, 'positive valence breaks the run before it is long enough');
    for (let i = 0; i < 9; i += 1) model.apply(hop(seq++, 1, 0.6, -0.4));
    assert.equal(model.highlighted, true);
    assert.match(model.highlightReason, /caller tense for 2 s/);
    // A dip shorter than releaseSeconds keeps it; a longer one clears it.
    model.apply(hop(seq++, 1, 0.1, -0.1));
    model.apply(hop(seq++, 1, 0.6, -0.4));
    assert.equal(model.highlighted, true, 'a 250 ms dip does not clear it');
    for (let i = 0; i < 5; i += 1) model.apply(hop(seq++, 1, 0.1, 0.1));
    assert.equal(model.highlighted, false);
  });

  it('bounds the trend, keeps the timeline, follows alerts and the end', () => {
    const model = new CallModel(info([undefined]));
    for (let i = 0; i < TREND_POINTS + 30; i += 1) model.apply({ ...hop(i, 0, 0, 0), channel: undefined } as EmotionMessage);
    assert.equal(model.channels[0]?.trend.length, TREND_POINTS);
    assert.equal(model.channels[0]?.timeline.length, TREND_POINTS + 30);
    model.apply({ type: 'alert', rule: 'angry', state: 'raised', label: 'angry', value: 0.7, atMs: 1000 });
    assert.equal(model.highlighted, true);
    assert.equal(model.highlightReason, 'alert angry');
    model.apply({ type: 'alert', rule: 'angry', state: 'cleared', label: 'angry', value: 0.3, atMs: 3000 });
    assert.equal(model.highlighted, false);
    model.apply({ type: 'ended', outcome: 'completed' });
    assert.equal(model.ended, 'completed');
  });
});
