/** Stage 8, result (server/pipeline/result.ts): endMs, top label, final flag. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toEmotionMessage } from '../../../server/pipeline/result.js';

const LABELS = ['neutral', 'happy', 'angry'];

describe('result stage', () => {
  it('endMs: last consumed frame on a voiced hop, last judged frame otherwise, plus look-ahead, capped', () => {
    const base = {
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
    };
    const options = { labels: LABELS, inputRateHz: 48_000, lookaheadMs: 2 };
    const voiced = toEmotionMessage(base, options);
    assert.equal(voiced.endMs, 977);
    assert.equal(voiced.top, 'angry');
    assert.equal(voiced.confidence, 0.5);
    assert.equal(voiced.final, undefined);
    assert.equal(toEmotionMessage({ ...base, isVoiced: false }, options).endMs, 997);
    const capped = toEmotionMessage({ ...base, isVoiced: false, inputSamplesTotal: 48 * 996, final: true }, options);
    assert.equal(capped.endMs, 996);
    assert.equal(capped.final, true);
  });
});
