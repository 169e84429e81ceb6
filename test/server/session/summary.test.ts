/** The session summary (server/session/summary.ts): segments and means over voiced hops. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelSummaries } from '../../../server/session/channel_summary.js';
import { round6, SummaryAccumulator } from '../../../server/session/summary.js';
import type { EmotionMessage } from '../../../shared/protocol.js';

const LABELS = ['neutral', 'happy', 'angry'];

describe('summary', () => {
  const message = (seq: number, top: string, confidence: number, voiced: boolean): EmotionMessage => ({
    type: 'emotion',
    seq,
    startMs: seq * 250,
    endMs: seq * 250 + 245,
    probs: { neutral: top === 'neutral' ? confidence : (1 - confidence) / 2, happy: top === 'happy' ? confidence : (1 - confidence) / 2, angry: top === 'angry' ? confidence : (1 - confidence) / 2 },
    top,
    confidence,
    voiced,
    arousal: 0,
    valence: 0,
  });

  it('merges runs of one voiced label into segments; mean over voiced hops only', () => {
    const acc = new SummaryAccumulator(LABELS);
    const seq = [
      message(0, 'neutral', 1 / 3, false),
      message(1, 'angry', 0.6, true),
      message(2, 'angry', 0.8, true),
      message(3, 'happy', 0.5, true),
      message(4, 'neutral', 1 / 3, false),
      message(5, 'happy', 0.7, true),
    ];
    seq.forEach((m) => acc.push(m, m.startMs + 250));
    const summary = acc.build();
    assert.equal(summary.durationMs, 1500);
    assert.equal(summary.voicedMs, 1000);
    assert.deepEqual(
      summary.segments.map((s) => [s.startMs, s.endMs, s.label, s.confidence]),
      [
        [250, 750, 'angry', 0.7],
        [750, 1000, 'happy', 0.5],
        [1250, 1500, 'happy', 0.7],
      ],
    );
    assert.ok(Math.abs(Object.values(summary.mean).reduce((a, b) => a + b, 0) - 1) < 1e-5);
    assert.equal(summary.dominant, 'angry');
  });

  it('no voiced hop: uniform mean', () => {
    const acc = new SummaryAccumulator(LABELS);
    acc.push(message(0, 'neutral', 1 / 3, false), 250);
    const summary = acc.build();
    assert.equal(summary.voicedMs, 0);
    assert.deepEqual(summary.segments, []);
    for (const p of Object.values(summary.mean)) assert.ok(Math.abs(p - 1 / 3) < 1e-6);
  });

  it('durationMs is the audio received: where the final hop ends, though an earlier hop was cut early past it', () => {
    const acc = new SummaryAccumulator(LABELS);
    acc.push(message(0, 'angry', 0.6, true), 250); // answered early; the audio stopped at 187.5 ms
    acc.push({ ...message(1, 'neutral', 1 / 3, false), final: true }, 187.5);
    const summary = acc.build();
    assert.equal(summary.durationMs, 187.5);
    assert.deepEqual(
      summary.segments.map((seg) => [seg.startMs, seg.endMs]),
      [[0, 187.5]],
    );
  });

  it('separate channels: each channel its own audio, the pooled duration the longest', () => {
    const summaries = new ChannelSummaries(LABELS, 2);
    summaries.push({ ...message(0, 'angry', 0.6, true), channel: 0 }, 250);
    summaries.push({ ...message(0, 'angry', 0.6, true), channel: 1 }, 250);
    summaries.push({ ...message(1, 'neutral', 1 / 3, false), channel: 1, final: true }, 300);
    summaries.push({ ...message(1, 'neutral', 1 / 3, false), channel: 0, final: true }, 190);
    const summary = summaries.build();
    assert.equal(summary.durationMs, 300);
    assert.deepEqual(
      summary.channels?.map((c) => c.durationMs),
      [190, 300],
    );
  });

  it('separate channels: the pooled mean does not depend on how the channels\' hops interleave', () => {
    // Three neutral probabilities whose float sum differs in the last place by order, and
    // whose mean sits on a rounding edge of the summary's 6 decimals (found by search).
    const [a, b, c] = [0.10478115296213941, 0.0568378346771178, 0.18809551236074276];
    const hop = (seq: number, channel: number, neutral: number): EmotionMessage => ({
      ...message(seq, 'happy', 0.5, true),
      channel,
      probs: { neutral, happy: 0.5, angry: 0.5 - neutral },
    });
    const build = (order: EmotionMessage[]): string => {
      const summaries = new ChannelSummaries(LABELS, 2);
      for (const m of order) summaries.push(m, m.endMs);
      return JSON.stringify(summaries.build());
    };
    assert.notEqual(round6((((0 + a) + b) + c) / 3), round6((((0 + a) + c) + b) / 3), 'the values do straddle a rounding edge');
    const first = build([hop(0, 0, a), hop(0, 1, b), hop(1, 0, c)]);
    const second = build([hop(0, 0, a), hop(1, 0, c), hop(0, 1, b)]);
    assert.equal(first, second, 'the same summary, byte for byte');
    assert.equal((JSON.parse(first) as { mean: Record<string, number> }).mean['neutral'], round6((((0 + a) + c) + b) / 3), 'channel 0 then channel 1');
  });
});
