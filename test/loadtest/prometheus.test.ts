import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketQuantile, deltaByLabel, histogramDelta, parsePrometheusText, serverFigures } from '../../loadtest/prometheus.js';

const BEFORE = `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 10
# TYPE ser_model_info gauge
ser_model_info{model_id="m1",engine="wasm",mode="streaming"} 1
# TYPE ser_inference_batch_size histogram
ser_inference_batch_size_bucket{le="1"} 0
ser_inference_batch_size_bucket{le="8"} 0
ser_inference_batch_size_bucket{le="64"} 0
ser_inference_batch_size_bucket{le="+Inf"} 0
ser_inference_batch_size_sum 0
ser_inference_batch_size_count 0
# TYPE ser_errors_total counter
ser_errors_total{code="bad_message"} 1
ser_audio_received_seconds_total 0
`;

const AFTER = `process_cpu_seconds_total 25
ser_model_info{model_id="m1",engine="wasm",mode="streaming"} 1
ser_inference_batch_size_bucket{le="1"} 10
ser_inference_batch_size_bucket{le="8"} 10
ser_inference_batch_size_bucket{le="64"} 100
ser_inference_batch_size_bucket{le="+Inf"} 100
ser_inference_batch_size_sum 3000
ser_inference_batch_size_count 100
ser_inference_duration_seconds_sum 2
ser_inference_duration_seconds_count 100
ser_errors_total{code="bad_message"} 1
ser_errors_total{code="rate_limited"} 3
ser_audio_received_seconds_total 100
ser_real_time_factor 0.02
weird_label{path="a\\"b,c"} 4
`;

test('parses samples, labels with escapes, and TYPE lines', () => {
  const snap = parsePrometheusText(BEFORE + 'weird_label{path="a\\"b,c"} 4\n', 0);
  assert.equal(snap.types.ser_inference_batch_size, 'histogram');
  const weird = snap.samples.find((s) => s.name === 'weird_label');
  assert.deepEqual(weird?.labels, { path: 'a"b,c' });
  assert.equal(snap.samples.find((s) => s.name === 'ser_inference_batch_size_bucket' && s.labels.le === '+Inf')?.value, 0);
});

test('bucketQuantile interpolates inside the bucket, like histogram_quantile', () => {
  const buckets = [
    { le: 1, count: 10 },
    { le: 8, count: 10 },
    { le: 64, count: 100 },
    { le: Number.POSITIVE_INFINITY, count: 100 },
  ];
  assert.equal(bucketQuantile(0.05, buckets), 0.5);
  assert.equal(bucketQuantile(0.55, buckets), 8 + (56 * 45) / 90);
  assert.ok(Number.isNaN(bucketQuantile(0.5, [])));
  // Everything in +Inf: the best answer is the last finite edge.
  assert.equal(bucketQuantile(0.5, [{ le: 1, count: 0 }, { le: Number.POSITIVE_INFINITY, count: 5 }]), 1);
});

test('serverFigures differences two scrapes', () => {
  const before = parsePrometheusText(BEFORE, 0);
  const after = parsePrometheusText(AFTER, 10_000);
  const fig = serverFigures(before, after, [after]);
  assert.equal(fig.mode, 'streaming');
  assert.equal(fig.engine, 'wasm');
  assert.equal(fig.cpuCores, 1.5);
  assert.equal(fig.batchSize?.count, 100);
  assert.equal(fig.batchSize?.mean, 30);
  assert.equal(fig.inferenceMs?.mean, 20);
  assert.equal(fig.realTimeFactor, 0.02);
  assert.deepEqual(fig.realTimeFactorGauge, [0.02]);
  assert.deepEqual(fig.errorsByCode, { rate_limited: 3 });
  assert.equal(fig.eventLoopLagMs, null);
  assert.deepEqual(deltaByLabel(before, after, 'ser_errors_total', 'code'), { rate_limited: 3 });
  assert.equal(histogramDelta(before, after, 'missing_metric'), null);
});
