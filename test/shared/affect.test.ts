/** The fixed label → (arousal, valence) map (shared/affect.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AFFECT_MAP, affectOf } from '../../shared/affect.js';

describe('affect map', () => {
  it('one-hot gives the label point, uniform gives the origin, values stay in [-1, 1]', () => {
    assert.deepEqual(affectOf({ angry: 1, happy: 0, neutral: 0 }), AFFECT_MAP.angry);
    const flat = affectOf({ neutral: 1 / 3, happy: 1 / 3, angry: 1 / 3 });
    assert.ok(Math.abs(flat.arousal) < 1e-12 && Math.abs(flat.valence) < 1e-12);
    const mixed = affectOf({ neutral: 0.1, happy: 0.7, angry: 0.2 });
    assert.ok(mixed.valence > 0 && mixed.arousal > 0 && mixed.arousal <= 1);
    assert.deepEqual(affectOf({}), { arousal: 0, valence: 0 });
    assert.deepEqual(affectOf({ unknown: 1 }), { arousal: 0, valence: 0 });
  });
});
