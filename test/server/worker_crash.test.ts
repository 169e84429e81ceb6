/**
 * A crashed inference worker, end to end: a real server on an ephemeral port with two
 * workers, real WebSocket clients and real speech. A session streaming through the crash is
 * resumed on another worker — a `worker_restarted` notice, then results that equal a fresh
 * stream of the rest of its audio on one numbering and one clock, final result, summary
 * over all the audio, close 1000 — while a session on the other worker is untouched; so is
 * a separate-channel session (only the crashed channel resumes), an upload to
 * /v1/analyze, and a session whose two workers crash at once; watchers see the notice. Counters count it; tensors and gauges return
 * to their baseline. When no worker can take a stream over (the model cannot load), the
 * session ends with a final result, its summary and `internal`.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { watch } from '../../client/sdk/node.js';
import type { RunningServer } from '../../server/app.js';
import { round } from '../../server/pipeline/result.js';
import { BYTES_PER_SAMPLE } from '../../shared/dsp/pcm_decode.js';
import { ERROR_CODES } from '../../shared/error_codes.js';
import type { EmotionMessage, NoticeMessage, ServerMessage } from '../../shared/protocol.js';
import type { WatchMessage } from '../../shared/watch.js';
import { channelResults, clipPair, encodeSamples, interleave, streamBytes } from '../helpers/channels.js';
import {
  FIXTURES,
  TestClient,
  assertResultsClose,
  isEmotion,
  isError,
  isReady,
  isSummary,
  randomChunks,
  readWavPcm,
  scrapeMetrics,
  startTestServer,
  streamWav,
  testModelDir,
  until,
  warmUpWorkers,
} from '../helpers/server.js';

/** 16 kHz pcm_s16le mono: bytes per ms of audio. */
const BYTES_PER_MS = 32;
const MONO = { sampleRate: 16_000, encoding: 'pcm_s16le', channels: 1 } as const;
const isNotice = (m: ServerMessage): m is NoticeMessage => m.type === 'notice';

/** A fresh stream's results as they read once resumed: seq from `seqBase`, stream time from `atMs`. */
const shifted = (results: EmotionMessage[], seqBase: number, atMs: number): EmotionMessage[] =>
  results.map((r) => ({ ...r, seq: r.seq + seqBase, startMs: round(r.startMs + atMs), endMs: round(r.endMs + atMs) }));

/** Results numbered 0, 1, …, exactly one final result, and it is the last. */
function assertOneRun(results: EmotionMessage[], what: string): void {
  assert.deepEqual(
    results.map((r) => r.seq),
    results.map((_, i) => i),
    `${what}: seq counts on through the crash`,
  );
  assert.deepEqual(
    results.map((r) => r.final === true),
    results.map((_, i) => i === results.length - 1),
    `${what}: one final result, the last`,
  );
}

/** The results before the notice, and those after it (the resumed stream's). */
function aroundNotice(messages: ServerMessage[], notice: NoticeMessage, channel?: number): [EmotionMessage[], EmotionMessage[]] {
  const at = messages.indexOf(notice);
  const mine = (list: ServerMessage[]) => list.filter(isEmotion).filter((r) => r.channel === channel);
  return [mine(messages.slice(0, at)), mine(messages.slice(at + 1))];
}

/** 0.4 s of speech from the middle of a clip. */
const speech = async (): Promise<Uint8Array> => (await readWavPcm(FIXTURES.angry)).data.subarray(32_000, 32_000 + 12_800);

/** Collects a watch stream until it ends. */
function watchAll(sessionId: string, url: string): { messages: WatchMessage[]; done: Promise<unknown> } {
  const messages: WatchMessage[] = [];
  const done = new Promise((resolve) => {
    watch(sessionId, { url }).subscribe({ next: (m) => messages.push(m), complete: () => resolve(null), error: (e: unknown) => resolve(e) });
  });
  return { messages, done };
}

describe('a crashed inference worker', () => {
  let server: RunningServer;
  let baseline: { numTensors: number };
  before(async () => {
    server = await startTestServer({ workers: 2 });
    await warmUpWorkers(server, await speech());
    baseline = await server.modelStats();
  });
  after(async () => {
    await server.close();
  });

  const counter = async (name: string): Promise<number> => (await scrapeMetrics(server)).get(name) ?? 0;

  it('a session streaming through it is resumed on another worker; a session on the other worker is untouched', async () => {
    const pcm = await readWavPcm(FIXTURES.happy);
    const bystanderOptions = { seed: 3, maxChunkBytes: 3200, chunkDelayMs: 50 };
    const bystanderAlone = await streamWav(server.wsUrl, FIXTURES.angry, bystanderOptions);

    const victim = new TestClient(server.wsUrl);
    await victim.opened;
    victim.sendJson({ type: 'start', ...MONO });
    const ready = await victim.waitFor(isReady);
    const watcher = watchAll(ready.sessionId, server.url);
    await until('the watcher subscribed', () => watcher.messages.length > 0);
    const chunks = randomChunks(pcm.data, 5, 1, 3200);
    const half = Math.floor(chunks.length / 2);
    for (const chunk of chunks.slice(0, half)) victim.send(chunk);
    await victim.waitFor(isEmotion);
    // Opened second, the bystander lands on the other worker (least loaded).
    const bystander = streamWav(server.wsUrl, FIXTURES.angry, bystanderOptions);
    await until('both sessions on their workers', async () => (await server.modelStats()).sessions === 2);
    await server.crashInferenceWorker(0);
    const notice = await victim.waitFor(isNotice);
    for (const chunk of chunks.slice(half)) victim.send(chunk);
    victim.sendJson({ type: 'end' });
    assert.equal((await victim.closed).code, 1000);

    assert.equal(notice.code, 'worker_restarted');
    assert.equal(notice.channel, undefined);
    assert.ok(notice.lostMs >= 0 && notice.lostMs <= notice.resumedAtMs, `lost ${notice.lostMs} ms before ${notice.resumedAtMs} ms`);
    assert.deepEqual(victim.messages.filter(isError), []);
    assert.equal(victim.messages.filter(isNotice).length, 1);
    const results = victim.results;
    assertOneRun(results, 'victim');
    const [before, resumed] = aroundNotice(victim.messages, notice);
    assert.ok(before.length > 0 && resumed.length > 1, 'results before the crash, and after it');
    // After the notice: exactly a fresh stream of the audio from resumedAtMs on.
    const rest = await streamBytes(server.wsUrl, MONO, pcm.data.subarray(notice.resumedAtMs * BYTES_PER_MS), 9);
    assertResultsClose(resumed, shifted(rest.results, before.length, notice.resumedAtMs), 'resumed stream');
    const summary = victim.messages.at(-1);
    assert.ok(summary !== undefined && isSummary(summary), 'the summary comes last');
    assert.equal(summary.durationMs, pcm.data.length / BYTES_PER_MS, 'the summary covers all the audio');

    const seen = await bystander;
    assert.deepEqual(seen.errors, []);
    assert.equal(seen.closeCode, 1000);
    assertResultsClose(seen.results, bystanderAlone.results, 'bystander');

    assert.equal(await watcher.done, null);
    assert.ok(watcher.messages.some((m) => m.type === 'notice' && m.code === 'worker_restarted'), 'watchers see the notice');
    assert.deepEqual(watcher.messages.at(-1), { type: 'ended', outcome: 'completed' });

    const metrics = await scrapeMetrics(server);
    assert.equal(metrics.get('ser_worker_restarts_total'), 1);
    assert.equal(metrics.get('ser_worker_crash_streams_total{outcome="resumed"}'), 1);
    assert.equal(metrics.get('ser_worker_crash_streams_total{outcome="ended"}') ?? 0, 0);
    assert.ok(Math.abs((metrics.get('ser_audio_lost_seconds_total') ?? NaN) - notice.lostMs / 1000) < 1e-6);
    assert.equal(metrics.get('ser_errors_total{code="internal"}') ?? 0, 0);
  });

  it('a separate-channel session: only the crashed channel resumes, each channel ends whole', async () => {
    const [a, b] = await clipPair(FIXTURES.angry, FIXTURES.happy, 16_000);
    const [bytesA, bytesB] = [encodeSamples(a, 'pcm_s16le'), encodeSamples(b, 'pcm_s16le')];
    const aloneB = await streamBytes(server.wsUrl, MONO, bytesB, 4);
    const call = new TestClient(server.wsUrl);
    await call.opened;
    call.sendJson({ type: 'start', ...MONO, channels: 2, channelMode: 'separate', channelLabels: ['agent', 'caller'] });
    await call.waitFor(isReady);
    // Channel 0 opened first: on worker 0; channel 1 on worker 1.
    const chunks = randomChunks(interleave(bytesA, bytesB, BYTES_PER_SAMPLE.pcm_s16le), 6, 1, 6400);
    const half = Math.floor(chunks.length / 2);
    for (const chunk of chunks.slice(0, half)) call.send(chunk);
    await call.waitFor((m): m is EmotionMessage => isEmotion(m) && m.channel === 0);
    await server.crashInferenceWorker(0);
    const notice = await call.waitFor(isNotice);
    for (const chunk of chunks.slice(half)) call.send(chunk);
    call.sendJson({ type: 'end' });
    assert.equal((await call.closed).code, 1000);

    assert.deepEqual([notice.channel, notice.channelLabel], [0, 'agent']);
    assert.deepEqual(call.messages.filter(isError), []);
    const results = call.results;
    for (const channel of [0, 1]) assertOneRun(results.filter((r) => r.channel === channel), `channel ${channel}`);
    assertResultsClose(channelResults(results, 1), aloneB.results, 'channel 1, on the worker that lived');
    const [before, resumed] = aroundNotice(call.messages, notice, 0);
    const rest = await streamBytes(server.wsUrl, MONO, bytesA.subarray(notice.resumedAtMs * BYTES_PER_MS), 7);
    const strip = (list: EmotionMessage[]) => list.map(({ channel: _c, channelLabel: _l, ...r }) => r);
    assertResultsClose(strip(resumed), shifted(rest.results, before.length, notice.resumedAtMs), 'channel 0 resumed');
    const summary = call.messages.find(isSummary);
    const audioMs = bytesA.length / BYTES_PER_MS;
    assert.deepEqual(
      [summary?.durationMs, ...(summary?.channels?.map((c) => c.durationMs) ?? [])],
      [audioMs, audioMs, audioMs],
      'each channel summary covers all its audio',
    );
    assert.equal(await counter('ser_worker_crash_streams_total{outcome="resumed"}'), 2);
  });

  it('an upload to /v1/analyze is resumed: its answer lists the notice and covers all the audio', async () => {
    const clips = await Promise.all([FIXTURES.neutral, FIXTURES.happy, FIXTURES.angry].map(readWavPcm));
    const once = clips.map((c) => c.data);
    const parts = [...once, ...once];
    const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((offset, p) => (body.set(p, offset), offset + p.length), 0);
    const query = '/v1/analyze?sampleRate=16000&encoding=pcm_s16le&channels=1';
    const answer = fetch(`${server.url}${query}`, { method: 'POST', body });
    // Paced at 4× real time, the 21 s take ≈ 5 s: the crash comes while it runs.
    await until('the analysis running', async () => (await server.modelStats()).sessions === 1);
    await server.crashInferenceWorker(0);
    const response = await answer;
    assert.equal(response.status, 200);
    const analysis = (await response.json()) as { results: EmotionMessage[]; summary: { durationMs: number }; notices?: NoticeMessage[] };
    assert.equal(analysis.notices?.length, 1);
    const notice = analysis.notices?.[0] as NoticeMessage;
    assert.equal(notice.code, 'worker_restarted');
    assertOneRun(analysis.results, 'analysis');
    assert.equal(analysis.summary.durationMs, body.length / BYTES_PER_MS);
    const before = analysis.results.filter((r) => r.startMs < notice.resumedAtMs);
    const resumed = analysis.results.slice(before.length);
    const rest = (await (await fetch(`${server.url}${query}`, { method: 'POST', body: body.subarray(notice.resumedAtMs * BYTES_PER_MS) })).json()) as { results: EmotionMessage[] };
    assertResultsClose(resumed, shifted(rest.results, before.length, notice.resumedAtMs), 'analysis resumed');
    assert.equal(await counter('ser_worker_crash_streams_total{outcome="resumed"}'), 3);
  });

  it('both workers at once: the session is resumed (again, if it landed on the other one) and ends whole', async () => {
    const pcm = await readWavPcm(FIXTURES.happy);
    const victim = new TestClient(server.wsUrl);
    await victim.opened;
    victim.sendJson({ type: 'start', ...MONO });
    await victim.waitFor(isReady);
    victim.send(pcm.data.subarray(0, 32_000));
    await victim.waitFor(isEmotion);
    await Promise.all([0, 1].map((i) => server.crashInferenceWorker(i)));
    victim.send(pcm.data.subarray(32_000, 48_000));
    victim.sendJson({ type: 'end' });
    assert.equal((await victim.closed).code, 1000);
    assert.deepEqual(victim.messages.filter(isError), []);
    const notices = victim.messages.filter(isNotice);
    assert.ok(notices.length >= 1 && notices.length <= 2, `${notices.length} notices`);
    assertOneRun(victim.results, 'victim');
    assert.equal(victim.messages.find(isSummary)?.durationMs, 48_000 / BYTES_PER_MS, 'the summary covers all the audio');
  });

  it('leaves no session, stream state, awaited request or tensor behind', async () => {
    await until('every session closed', async () => (await counter('ser_sessions_active')) === 0);
    // A replacement worker that has not served yet has not built its cached tensors.
    await warmUpWorkers(server, await speech());
    const stats = await server.modelStats();
    assert.deepEqual(stats, { numTensors: baseline.numTensors, sessions: 0, inFlight: 0 });
    assert.equal(await counter('ser_backlog_bytes'), 0);
  });
});

describe('a crashed inference worker that nothing can replace', () => {
  let server: RunningServer;
  let modelDir: string;
  before(async () => {
    modelDir = await mkdtemp(join(tmpdir(), 'ser-crash-model-'));
    await cp(await testModelDir(), modelDir, { recursive: true });
    server = await startTestServer({ workers: 1, modelDir });
  });
  after(async () => {
    await server.close();
    await rm(modelDir, { recursive: true, force: true });
  });

  it('ends the session with a final result, its summary and internal (1011)', async () => {
    const pcm = await readWavPcm(FIXTURES.neutral);
    const victim = new TestClient(server.wsUrl);
    await victim.opened;
    victim.sendJson({ type: 'start', ...MONO });
    await victim.waitFor(isReady);
    const cut = 2 * Math.floor(pcm.data.length / 4);
    victim.send(pcm.data.subarray(0, cut));
    await victim.waitFor(isEmotion);
    // The replacement cannot load the model: the stream resumes on it, then has nowhere to go.
    await rm(join(modelDir, 'weights.bin'));
    await server.crashInferenceWorker(0).catch(() => undefined);
    victim.send(pcm.data.subarray(cut));
    const error = await victim.waitFor(isError);
    assert.equal(error.code, 'internal');
    assert.equal(error.retryable, true);
    assert.equal((await victim.closed).code, ERROR_CODES.internal.closeCode);
    const types = victim.messages.map((m) => m.type);
    const finalAt = victim.messages.findIndex((m) => isEmotion(m) && m.final === true);
    assert.ok(finalAt > 0, 'a final result');
    assert.deepEqual(types.slice(finalAt), ['emotion', 'summary', 'error'], 'final, summary, error: in that order, at the end');
    assertOneRun(victim.results, 'victim');
    const summary = victim.messages.find(isSummary);
    assert.ok(summary !== undefined && summary.durationMs <= pcm.data.length / BYTES_PER_MS && summary.durationMs >= cut / BYTES_PER_MS);
    const metrics = await scrapeMetrics(server);
    assert.equal(metrics.get('ser_worker_crash_streams_total{outcome="ended"}'), 1);
    assert.equal(metrics.get('ser_errors_total{code="internal"}'), 1);
  });
});
