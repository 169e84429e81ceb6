import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FixedHistogram, latencyHistogramBins, niceStep, percentile, summarizeLatencies } from '../../loadtest/stats.js';

test('percentile uses nearest rank on sorted input', () => {
  const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
  assert.equal(percentile(sorted, 50), 50);
  assert.equal(percentile(sorted, 95), 95);
  assert.equal(percentile(sorted, 99), 99);
  assert.equal(percentile(sorted, 100), 100);
  assert.equal(percentile(sorted, 0), 1);
  assert.equal(percentile([7], 95), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile(sorted, 101), /expected a percentile/);
});

test('percentile never invents a value between samples', () => {
  assert.equal(percentile([10, 20], 50), 10);
  assert.equal(percentile([10, 20], 51), 20);
  assert.equal(percentile([1, 2, 3, 4, 1000], 95), 1000);
});

test('summarizeLatencies sorts a copy and reports every percentile', () => {
  const values = [5, 1, 4, 2, 3];
  const s = summarizeLatencies(values);
  assert.deepEqual(values, [5, 1, 4, 2, 3]);
  assert.equal(s.count, 5);
  assert.equal(s.minMs, 1);
  assert.equal(s.maxMs, 5);
  assert.equal(s.meanMs, 3);
  assert.equal(s.p50Ms, 3);
  assert.equal(s.p90Ms, 5);
  const empty = summarizeLatencies([]);
  assert.equal(empty.count, 0);
  assert.ok(Number.isNaN(empty.p95Ms));
});

test('FixedHistogram percentiles are upper bin edges, capped at the max', () => {
  const h = new FixedHistogram(1, 100);
  for (let i = 0; i < 100; i++) h.add(i + 0.5); // 0.5 … 99.5
  assert.equal(h.count, 100);
  assert.equal(h.percentile(50), 50);
  assert.equal(h.percentile(95), 95);
  assert.equal(h.percentile(100), 99.5);
  h.add(1e6); // overflow bin
  assert.equal(h.max, 1e6);
  assert.equal(h.percentile(100), 1e6);
  h.add(-3); // negative lateness lands in the first bin
  assert.equal(h.counts[0], 2);
});

test('FixedHistogram merge adds counts and keeps the max', () => {
  const a = new FixedHistogram(1, 10);
  const b = new FixedHistogram(1, 10);
  a.add(1);
  b.add(2);
  b.add(8);
  a.merge(b);
  assert.equal(a.count, 3);
  assert.equal(a.sum, 11);
  assert.equal(a.max, 8);
  assert.throws(() => a.merge(new FixedHistogram(1, 5)), /expected 10 bins/);
});

test('latencyHistogramBins counts everything once, outliers as overflow', () => {
  const values = [...Array.from({ length: 1000 }, (_, i) => i % 50), 5000];
  const bins = latencyHistogramBins(values, 50);
  const drawn = bins.counts.reduce((a, b) => a + b, 0);
  assert.equal(drawn + bins.overflow, values.length);
  assert.ok(bins.overflow >= 1);
  assert.deepEqual(latencyHistogramBins([], 4).counts, [0, 0, 0, 0]);
});

test('niceStep rounds up to 1/2/5 × 10^k', () => {
  assert.equal(niceStep(0.7), 1);
  assert.equal(niceStep(1.2), 2);
  assert.equal(niceStep(3), 5);
  assert.equal(niceStep(7), 10);
  assert.equal(niceStep(20), 20);
  assert.equal(niceStep(0.013), 0.02);
});
