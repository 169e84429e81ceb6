/**
 * channelMode 'separate' end to end, with real audio: a stereo stream made of two
 * different clips gives each channel exactly the results of that clip streamed alone
 * (every encoding and rate, WebSocket and POST /v1/analyze), the
 * labels are echoed, the summary reports each channel, and the default stays 'mix'.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BYTES_PER_SAMPLE } from '../../shared/dsp/pcm_decode.js';
import type { Encoding, SummaryMessage } from '../../shared/protocol.js';
import type { RunningServer } from '../../server/app.js';
import { channelResults, clipPair, encodeSamples, interleave, ravdessPair, stereoWav16, streamBytes } from '../helpers/channels.js';
import { FIXTURES, TestClient, assertResultsClose, isError, startTestServer, until } from '../helpers/server.js';

function assertSummaryClose(actual: Omit<SummaryMessage, 'type'> | undefined, expected: SummaryMessage | undefined, what: string): void {
  assert.ok(actual !== undefined && expected !== undefined, `${what}: both summaries present`);
  assert.equal(actual.durationMs, expected.durationMs, `${what}: durationMs`);
  assert.equal(actual.voicedMs, expected.voicedMs, `${what}: voicedMs`);
  assert.equal(actual.dominant, expected.dominant, `${what}: dominant`);
  assert.deepEqual(actual.segments.map((s) => [s.startMs, s.endMs, s.label]), expected.segments.map((s) => [s.startMs, s.endMs, s.label]), `${what}: segments`);
  for (const [label, p] of Object.entries(expected.mean)) assert.ok(Math.abs((actual.mean[label] ?? NaN) - p) <= 2e-6, `${what}: mean ${label}`);
}

/** Streams the pair as one stereo stream (separate) and each clip alone; compares channel by channel. */
async function checkPair(server: RunningServer, pathA: string, pathB: string, encoding: Encoding, rateHz: number, seed: number): Promise<void> {
  const [a, b] = await clipPair(pathA, pathB, rateHz);
  const [bytesA, bytesB] = [encodeSamples(a, encoding), encodeSamples(b, encoding)];
  const mono = { sampleRate: rateHz, encoding, channels: 1 as const };
  const stereo = await streamBytes(
    server.wsUrl,
    { ...mono, channels: 2, channelMode: 'separate', channelLabels: ['agent', 'caller'] },
    interleave(bytesA, bytesB, BYTES_PER_SAMPLE[encoding]),
    seed,
  );
  const [aloneA, aloneB] = await Promise.all([streamBytes(server.wsUrl, mono, bytesA, seed + 1), streamBytes(server.wsUrl, mono, bytesB, seed + 2)]);
  const what = `${encoding} ${rateHz} Hz`;
  assert.equal(stereo.closeCode, 1000, `${what}: ${JSON.stringify(stereo.errors)}`);
  assert.equal(stereo.ready.channelMode, 'separate');
  assert.equal(stereo.ready.channels, 2);
  assert.deepEqual(stereo.ready.channelLabels, ['agent', 'caller']);
  for (const r of stereo.results) {
    assert.ok(r.channel === 0 || r.channel === 1, 'every result carries its channel');
    assert.equal(r.channelLabel, r.channel === 0 ? 'agent' : 'caller');
  }
  assert.ok(aloneA.results.length > 4, 'the clip gives several hops');
  assertResultsClose(channelResults(stereo.results, 0), aloneA.results, `${what} channel 0`);
  assertResultsClose(channelResults(stereo.results, 1), aloneB.results, `${what} channel 1`);
  const summary = stereo.summary;
  assert.equal(summary?.channels?.length, 2);
  assertSummaryClose(summary?.channels?.[0], aloneA.summary, `${what} summary channel 0`);
  assertSummaryClose(summary?.channels?.[1], aloneB.summary, `${what} summary channel 1`);
  assert.equal(summary?.channels?.[1]?.channelLabel, 'caller');
  assert.equal(summary?.voicedMs, (aloneA.summary?.voicedMs ?? 0) + (aloneB.summary?.voicedMs ?? 0), 'pooled voicedMs is the sum');
  assert.ok(summary?.segments.every((s) => s.channel === 0 || s.channel === 1), 'pooled segments carry their channel');
}

describe('channelMode separate', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    // Every channel's model stream was released with its session.
    const stats = await server.modelStats();
    assert.deepEqual([stats.sessions, stats.inFlight], [0, 0]);
    await server.close();
  });

  it('16 kHz pcm_s16le: each channel equals its clip streamed alone', async () => {
    await checkPair(server, FIXTURES.angry, FIXTURES.happy, 'pcm_s16le', 16_000, 11);
  });

  it('8 kHz µ-law: each channel equals its clip streamed alone', async () => {
    await checkPair(server, FIXTURES.neutral, FIXTURES.angry, 'mulaw', 8_000, 12);
  });

  it('44.1 kHz float and 8 kHz A-law: each channel equals its clip streamed alone', async () => {
    await checkPair(server, FIXTURES.happy, FIXTURES.neutral, 'pcm_f32le', 44_100, 13);
    await checkPair(server, FIXTURES.happy, FIXTURES.angry, 'alaw', 8_000, 14);
  });

  it('real RAVDESS clips of two actors (../shared/data/ravdess-speech-16k)', async (t) => {
    const pair = ravdessPair();
    if (pair === null) {
      t.skip('ravdess-speech-16k is not on this machine (../shared/data/ravdess-speech-16k/Actor_19, Actor_20); the fixture pairs above still ran');
      return;
    }
    await checkPair(server, pair[0], pair[1], 'pcm_s16le', 16_000, 15);
  });

  it('a bad sample on one channel fails the session once (bad_audio); nothing is left open', async () => {
    const [a, b] = await clipPair(FIXTURES.angry, FIXTURES.happy, 16_000);
    const right = b.slice();
    right[20_000] = Number.NaN;
    const outcome = await streamBytes(server.wsUrl, { sampleRate: 16_000, encoding: 'pcm_f32le', channels: 2, channelMode: 'separate' }, interleave(encodeSamples(a, 'pcm_f32le'), encodeSamples(right, 'pcm_f32le'), 4));
    assert.deepEqual(outcome.errors.map((e) => e.code), ['bad_audio']);
    assert.equal(outcome.closeCode, 1007);
    await until('both channels\' model streams closed', async () => {
      const stats = await server.modelStats();
      return stats.sessions === 0 && stats.inFlight === 0;
    });
  });

  it('the default stays mix: stereo is averaged and results carry no channel', async () => {
    const [a, b] = await clipPair(FIXTURES.angry, FIXTURES.happy, 16_000);
    const outcome = await streamBytes(server.wsUrl, { sampleRate: 16_000, encoding: 'pcm_s16le', channels: 2 }, interleave(encodeSamples(a, 'pcm_s16le'), encodeSamples(b, 'pcm_s16le'), 2));
    assert.equal(outcome.closeCode, 1000);
    assert.equal(outcome.ready.channelMode, undefined);
    assert.ok(outcome.results.every((r) => r.channel === undefined));
    assert.equal(outcome.summary?.channels, undefined);
  });

  it('bad channel fields are bad_message with "expected …, got …"', async () => {
    const base = { sampleRate: 16_000, encoding: 'pcm_s16le' as const, channels: 2 as const };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ channelMode: 'split' }, /expected channelMode one of mix, separate, got "split"/],
      [{ channelMode: 'separate', channelLabels: ['only-one'] }, /expected channelLabels a list of 2 strings/],
      [{ channelLabels: ['a', 'b'] }, /expected channelLabels only with channelMode "separate"/],
      [{ externalIds: { callId: 42 } }, /expected externalIds an object/],
    ];
    for (const [fields, pattern] of cases) {
      const client = new TestClient(server.wsUrl);
      await client.opened;
      client.sendJson({ type: 'start', ...base, ...fields });
      const error = await client.waitFor(isError);
      assert.equal(error.code, 'bad_message', JSON.stringify(fields));
      assert.match(error.message, pattern);
      assert.equal((await client.closed).code, 1008);
    }
  });
});

describe('POST /v1/analyze with channelMode=separate', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  it('a stereo WAV: each channel equals its clip analysed alone; labels echoed', async () => {
    const [a, b] = await clipPair(FIXTURES.angry, FIXTURES.neutral, 16_000);
    const post = async (body: Uint8Array, query: string): Promise<Record<string, unknown>> => {
      const response = await fetch(`${server.url}/v1/analyze${query}`, { method: 'POST', body: Buffer.from(body) });
      assert.equal(response.status, 200);
      return (await response.json()) as Record<string, unknown>;
    };
    const stereo = await post(stereoWav16(a, b, 16_000), '?channelMode=separate&channelLabels=agent,caller');
    const raw = { sampleRate: 16_000, encoding: 'pcm_s16le', channels: 1 };
    const aloneA = await streamBytes(server.wsUrl, raw as never, encodeSamples(a, 'pcm_s16le'));
    const aloneB = await streamBytes(server.wsUrl, raw as never, encodeSamples(b, 'pcm_s16le'));
    assert.equal(stereo.channelMode, 'separate');
    assert.deepEqual(stereo.channelLabels, ['agent', 'caller']);
    const results = stereo.results as Parameters<typeof channelResults>[0];
    assertResultsClose(channelResults(results, 0), aloneA.results, 'analyze channel 0');
    assertResultsClose(channelResults(results, 1), aloneB.results, 'analyze channel 1');
    const summary = stereo.summary as SummaryMessage;
    assertSummaryClose(summary.channels?.[0], aloneA.summary, 'analyze summary channel 0');
    assertSummaryClose(summary.channels?.[1], aloneB.summary, 'analyze summary channel 1');
    // The same stereo body as raw µ-law is de-interleaved as a stream would be.
    const [m0, m1] = [encodeSamples(a, 'mulaw'), encodeSamples(b, 'mulaw')];
    const rawStereo = await post(interleave(m0, m1, 1), '?channelMode=separate&sampleRate=16000&encoding=mulaw&channels=2');
    const aloneM0 = await streamBytes(server.wsUrl, { sampleRate: 16_000, encoding: 'mulaw', channels: 1 }, m0);
    assertResultsClose(channelResults(rawStereo.results as Parameters<typeof channelResults>[0], 0), aloneM0.results, 'analyze raw µ-law channel 0');
  });
});
