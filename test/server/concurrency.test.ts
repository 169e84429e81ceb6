/**
 * Many sessions at once: 50 concurrent streams of different clips, chunkings and paces all
 * get exactly the results each clip gets when streamed alone — so cross-stream batching
 * (which the batch-size histogram shows really happened) neither mixes streams' state nor
 * changes a number.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SummaryMessage } from '../../shared/protocol.js';
import type { RunningServer } from '../../server/app.js';
import {
  FIXTURES,
  RESULT_TOLERANCE,
  assertResultsClose,
  TestClient,
  isReady,
  readWavPcm,
  scrapeMetrics,
  startTestServer,
  streamWav,
  type StreamOutcome,
} from '../helpers/server.js';

const SESSIONS = 50;
/** Sessions released at the same instant, to force wide batches. */
const BURST = 40;
const TOLERANCE = RESULT_TOLERANCE;
const CLIPS = [FIXTURES.neutral, FIXTURES.happy, FIXTURES.angry] as const;

function assertSameSummary(actual: SummaryMessage | undefined, expected: SummaryMessage | undefined, what: string): void {
  assert.ok(actual !== undefined && expected !== undefined, `${what}: summary`);
  assert.equal(actual.durationMs, expected.durationMs);
  assert.equal(actual.voicedMs, expected.voicedMs);
  for (const [label, p] of Object.entries(expected.mean)) assert.ok(Math.abs((actual.mean[label] ?? NaN) - p) <= TOLERANCE, what);
}

describe(`${SESSIONS} concurrent sessions`, () => {
  let server: RunningServer;
  const alone = new Map<string, StreamOutcome>();

  before(async () => {
    // One worker, so every session shares its model calls (the burst test counts on it).
    server = await startTestServer({ workers: 1 });
    // Reference: each clip streamed alone, one session at a time (no cross-stream batching).
    for (const clip of CLIPS) alone.set(clip, await streamWav(server.wsUrl, clip, { seed: 99, smoothing: 0.4 }));
  });
  after(async () => {
    await server.close();
  });

  it('all get correct, independent results equal to the unbatched ones', async () => {
    const before = await scrapeMetrics(server);
    const runs = await Promise.all(
      Array.from({ length: SESSIONS }, (_, i) => {
        const clip = CLIPS[i % CLIPS.length] as string;
        // Mixed behaviour: some send as fast as possible, some paced (~5× real time), in
        // chunk sizes from 1 byte up, so hop boundaries of different sessions interleave.
        const paced = i % 2 === 0;
        return streamWav(server.wsUrl, clip, {
          seed: 1000 + i,
          smoothing: 0.4,
          maxChunkBytes: paced ? 3200 : 20_000,
          chunkDelayMs: paced ? 10 : 0,
        }).then((out) => ({ clip, out }));
      }),
    );
    for (const [i, { clip, out }] of runs.entries()) {
      const reference = alone.get(clip) as StreamOutcome;
      assert.deepEqual(out.errors, [], `session ${i}`);
      assert.equal(out.closeCode, 1000, `session ${i}`);
      assertResultsClose(out.results, reference.results, `session ${i} (${clip.split('/').at(-1)})`);
      assertSameSummary(out.summary, reference.summary, `session ${i}`);
    }
    const sessionIds = new Set(runs.map((r) => r.out.ready.sessionId));
    assert.equal(sessionIds.size, SESSIONS, 'every session has its own id');

    const metrics = await scrapeMetrics(server);
    const calls = (metrics.get('ser_inference_batch_size_count') ?? 0) - (before.get('ser_inference_batch_size_count') ?? 0);
    const streams = (metrics.get('ser_inference_batch_size_sum') ?? 0) - (before.get('ser_inference_batch_size_sum') ?? 0);
    const bigger = (le: number): number =>
      calls - ((metrics.get(`ser_inference_batch_size_bucket{le="${le}"}`) ?? 0) - (before.get(`ser_inference_batch_size_bucket{le="${le}"}`) ?? 0));
    process.stderr.write(
      `# ${calls} model calls for ${streams} stream-steps: mean batch ${(streams / calls).toFixed(1)}, ${bigger(8)} calls > 8 streams, ${bigger(32)} > 32\n`,
    );
    assert.ok(calls > 0 && streams >= calls);
    assert.equal(metrics.get('ser_sessions_active'), 0);
  });

  it(`batches ${BURST} sessions that send at the same moment into shared model calls, with unchanged results`, async () => {
    const before = await scrapeMetrics(server);
    const clients = await Promise.all(
      Array.from({ length: BURST }, async (_, i) => {
        const clip = CLIPS[i % CLIPS.length] as string;
        const pcm = await readWavPcm(clip);
        const client = new TestClient(server.wsUrl);
        await client.opened;
        client.sendJson({ type: 'start', sampleRate: pcm.sampleRateHz, encoding: pcm.encoding, channels: pcm.channels, smoothing: 0.4 });
        await client.waitFor(isReady);
        return { clip, client, data: pcm.data };
      }),
    );
    // Every session's whole clip in the same tick: their hops reach the worker together.
    for (const { client, data } of clients) {
      client.send(data);
      client.sendJson({ type: 'end' });
    }
    for (const [i, { clip, client }] of clients.entries()) {
      const { code } = await client.closed;
      assert.equal(code, 1000);
      assertResultsClose(client.results, (alone.get(clip) as StreamOutcome).results, `burst session ${i}`);
    }
    const metrics = await scrapeMetrics(server);
    const calls = (metrics.get('ser_inference_batch_size_count') ?? 0) - (before.get('ser_inference_batch_size_count') ?? 0);
    const atMost = (le: number): number =>
      (metrics.get(`ser_inference_batch_size_bucket{le="${le}"}`) ?? 0) - (before.get(`ser_inference_batch_size_bucket{le="${le}"}`) ?? 0);
    process.stderr.write(`# burst: ${calls} model calls, ${calls - atMost(16)} with > 16 streams, ${calls - atMost(32)} with > 32\n`);
    assert.ok(calls - atMost(32) > 0, `expected model calls holding more than 32 streams, got none of ${calls}`);
    assert.equal(metrics.get('ser_sessions_active'), 0);
  });
});
