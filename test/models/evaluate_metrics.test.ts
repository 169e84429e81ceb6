import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { confusionSvg } from '../../models/train/confusion_svg.js';
import { argmax, computeMetrics, confusionMatrix } from '../../models/train/metrics.js';

describe('metrics', () => {
  const labels = ['a', 'b', 'c'];
  // true:      a a a a b b c c
  // predicted: a a b c b b c a
  const y = [0, 0, 0, 0, 1, 1, 2, 2];
  const p = [0, 0, 1, 2, 1, 1, 2, 0];

  it('builds the confusion matrix rows = true, columns = predicted', () => {
    assert.deepEqual(confusionMatrix(y, p, 3), [
      [2, 1, 1],
      [0, 2, 0],
      [1, 0, 1],
    ]);
  });

  it('accuracy, UAR and macro-F1 by hand', () => {
    const m = computeMetrics(y, p, labels);
    assert.equal(m.accuracy, 5 / 8);
    // recalls 2/4, 2/2, 1/2 → UAR 2/3 (accuracy 5/8 is lower because class a is big).
    assert.ok(Math.abs(m.uar - 2 / 3) < 1e-12);
    // precisions 2/3, 2/3, 1/2; F1 a = 2·(2/3·1/2)/(2/3+1/2) = 4/7, b = 0.8, c = 0.5
    const f1 = [4 / 7, 0.8, 0.5];
    m.perClass.forEach((c, i) => assert.ok(Math.abs(c.f1 - (f1[i] as number)) < 1e-12));
    assert.ok(Math.abs(m.macroF1 - (4 / 7 + 0.8 + 0.5) / 3) < 1e-12);
    assert.deepEqual(m.perClass.map((c) => c.support), [4, 2, 2]);
  });

  it('classes without true examples do not count in UAR', () => {
    const m = computeMetrics([0, 1], [0, 2], labels);
    assert.equal(m.uar, 0.5);
    assert.equal(m.perClass[2]?.precision, 0);
  });

  it('rejects out-of-range indices and mismatched lengths', () => {
    assert.throws(() => confusionMatrix([0, 3], [0, 0], 3), /class indices/);
    assert.throws(() => confusionMatrix([0], [0, 1], 3), /as many predictions/);
  });

  it('argmax takes the first maximum', () => {
    assert.equal(argmax(new Float32Array([0.1, 0.5, 0.5])), 1);
  });
});

describe('confusion SVG', () => {
  it('draws one cell per entry with counts and escaped labels', () => {
    const svg = confusionSvg([[3, 1], [0, 4]], ['a<b', 'c'], 'test & title');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/<rect x=/g) ?? []).length, 4);
    assert.match(svg, />a&lt;b</);
    assert.match(svg, /test &amp; title/);
    assert.match(svg, />4</);
    assert.throws(() => confusionSvg([[1]], ['a', 'b'], 't'), /2×2/);
  });
});
