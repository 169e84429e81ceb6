/** Stage 8, result (server/pipeline/result.ts): endMs, top label, final flag. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toEmotionMessage } from '../../../server/pipeline/result.js';

const LABELS = ['neutral', 'happy', 'angry'];

/** A voiced hop 3 at 48 kHz input; tests override what they vary. */
const BASE = {
  index: 3,
  startMs: 750,
  endMs: 1000,
  frames: new Float32Array(0),
  voiced: new Uint8Array(0),
  frameCount: 25,
  voicedFrames: 25,
  framesTotal: 98, // last frame ends at 995 ms
  inputSamplesTotal: 48_000 * 1.1, // 1100 ms received at 48 kHz
  final: false,
  arrivedAtMs: 0,
  probs: Float32Array.of(0.2, 0.3, 0.5),
  framesConsumedTotal: 96, // the model stepped through 975 ms
  smoothed: Float32Array.of(0.2, 0.3, 0.5),
  isVoiced: true,
  topIndex: 2,
};

describe('result stage', () => {
  it('endMs: last consumed frame on a voiced hop, last judged frame otherwise, plus look-ahead, capped', () => {
    const options = { labels: LABELS, inputRateHz: 48_000, lookaheadMs: 2 };
    const voiced = toEmotionMessage(BASE, options);
    assert.equal(voiced.endMs, 977);
    assert.equal(voiced.top, 'angry');
    assert.equal(voiced.confidence, 0.5);
    assert.equal(voiced.final, undefined);
    assert.equal(toEmotionMessage({ ...BASE, isVoiced: false }, options).endMs, 997);
    const capped = toEmotionMessage({ ...BASE, isVoiced: false, inputSamplesTotal: 48 * 996, final: true }, options);
    assert.equal(capped.endMs, 996);
    assert.equal(capped.final, true);
  });

  it('top and confidence follow the smoothing stage\'s top label, also on a uniform distribution', () => {
    const hop = { ...BASE, voicedFrames: 0, final: true, smoothed: Float32Array.of(1 / 3, 1 / 3, 1 / 3), isVoiced: false, topIndex: 1 };
    const message = toEmotionMessage(hop, { labels: LABELS, inputRateHz: 16_000, lookaheadMs: 0 });
    assert.equal(message.top, 'happy');
    assert.equal(message.confidence, 0.333333);
    assert.deepEqual(Object.values(message.probs), [0.333333, 0.333333, 0.333333]);
  });
});
