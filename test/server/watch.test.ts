/**
 * Watching sessions from elsewhere, against a real server with API keys: the list and its
 * filter, a watcher (the SDK's `watch`, over SSE) subscribed mid-call gets the replayed
 * history and then exactly the messages the audio socket gets (both channels, summary,
 * `ended`), unknown session → 404 session_not_found, missing key → 401, the watcher limit
 * → 429, and watchers that churn or never read do not change the session's results.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { BYTES_PER_SAMPLE } from '../../shared/dsp/pcm_decode.js';
import type { ServerMessage } from '../../shared/protocol.js';
import type { SessionInfo, WatchMessage } from '../../shared/watch.js';
import type { RunningServer } from '../../server/app.js';
import { listSessions, watch } from '../../client/sdk/node.js';
import { channelResults, clipPair, encodeSamples, interleave, streamBytes } from '../helpers/channels.js';
import { FIXTURES, TestClient, assertResultsClose, isReady, randomChunks, startTestServer, until } from '../helpers/server.js';

const KEY = 'watch-test-key';
const AUTH = { Authorization: `Bearer ${KEY}` };

/** The stereo call used throughout: angry agent, happy caller, 16 kHz s16. */
async function stereoCall(): Promise<Uint8Array> {
  const [a, b] = await clipPair(FIXTURES.angry, FIXTURES.happy, 16_000);
  return interleave(encodeSamples(a, 'pcm_s16le'), encodeSamples(b, 'pcm_s16le'), BYTES_PER_SAMPLE.pcm_s16le);
}

const START = { type: 'start', sampleRate: 16_000, encoding: 'pcm_s16le', channels: 2, channelMode: 'separate', channelLabels: ['agent', 'caller'] };

/** Collects a watch stream until it completes or errors. */
function collect(sessionId: string, url: string): { messages: WatchMessage[]; done: Promise<unknown> } {
  const messages: WatchMessage[] = [];
  const done = new Promise((resolve) => {
    watch(sessionId, { url, token: KEY }).subscribe({ next: (m) => messages.push(m), complete: () => resolve(null), error: (e: unknown) => resolve(e) });
  });
  return { messages, done };
}

describe('watching sessions', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer({ apiKeys: [KEY], maxWatchersPerSession: 3, watchHistoryMessages: 200 });
  });
  after(async () => {
    await server.close();
  });

  it('refuses without a key (401 unauthorized) and answers 404 session_not_found for an unknown id', async () => {
    for (const path of ['/v1/sessions', '/v1/sessions/nope/events']) {
      const response = await fetch(`${server.url}${path}`);
      assert.equal(response.status, 401, path);
      assert.equal(((await response.json()) as { code: string }).code, 'unauthorized');
    }
    for (const path of ['/v1/sessions/nope', '/v1/sessions/nope/events']) {
      const response = await fetch(`${server.url}${path}`, { headers: AUTH });
      assert.equal(response.status, 404, path);
      const body = (await response.json()) as { code: string; retryable: boolean };
      assert.equal(body.code, 'session_not_found');
      assert.equal(body.retryable, false);
    }
    await assert.rejects(listSessions({ url: server.url }), { code: 'unauthorized' });
  });

  it('a watcher subscribed mid-call sees exactly what the audio socket sees, both channels, then ended', async () => {
    const audio = await stereoCall();
    const caller = new TestClient(server.wsUrl, { headers: AUTH });
    await caller.opened;
    caller.sendJson({ ...START, externalIds: { callId: 'call-42', agent: 'ada' } });
    const ready = await caller.waitFor(isReady);
    const chunks = randomChunks(audio, 3, 1000, 6000);
    const half = Math.floor(chunks.length / 2);
    for (const chunk of chunks.slice(0, half)) caller.send(chunk);
    await until('a result on the audio socket', () => caller.results.length > 2);

    const listed = await listSessions({ url: server.url, token: KEY }, { callId: 'call-42' });
    assert.equal(listed.length, 1);
    const info = listed[0] as SessionInfo;
    assert.equal(info.id, ready.sessionId);
    assert.deepEqual(info.externalIds, { callId: 'call-42', agent: 'ada' });
    assert.equal(info.channelMode, 'separate');
    assert.deepEqual(info.channels.map((c) => c.channelLabel), ['agent', 'caller']);
    assert.ok(info.channels.some((c) => c.top !== null), 'current top emotion per channel');
    assert.deepEqual(await listSessions({ url: server.url, token: KEY }, { callId: 'other' }), []);

    const watcher = collect(ready.sessionId, server.url);
    await until('the watcher subscribed', async () => watcher.messages.length > 0);
    for (const chunk of chunks.slice(half)) caller.send(chunk);
    caller.sendJson({ type: 'end' });
    await caller.closed;
    assert.equal(await watcher.done, null, 'the watch stream completes');

    const [watching, ...rest] = watcher.messages;
    assert.equal(watching?.type, 'watching');
    const ended = rest.pop();
    assert.deepEqual(ended, { type: 'ended', outcome: 'completed' });
    const seen = caller.messages.filter((m: ServerMessage) => m.type !== 'ready');
    assert.deepEqual(rest, seen, 'history + live = every message of the audio socket (history bound not reached)');
    assert.ok(rest.some((m) => m.type === 'emotion' && m.channel === 0) && rest.some((m) => m.type === 'emotion' && m.channel === 1));
    assert.equal(rest.at(-1)?.type, 'summary');
    assert.deepEqual(await listSessions({ url: server.url, token: KEY }), [], 'an ended session is no longer listed');
  });

  it('limits watchers per session (429 too_many_watchers); churning and never-reading watchers change nothing', async () => {
    const audio = await stereoCall();
    const alone = await streamBytes(server.wsUrl.replace('/v1/stream', `/v1/stream?token=${KEY}`), START as never, audio, 5);
    assert.equal(alone.closeCode, 1000);

    const caller = new TestClient(server.wsUrl, { headers: AUTH });
    await caller.opened;
    caller.sendJson(START);
    const { sessionId } = await caller.waitFor(isReady);
    // A watcher that never reads: its socket is paused as soon as the headers arrive.
    const stuck = await new Promise<http.ClientRequest>((resolve) => {
      const request = http.get(`${server.url}/v1/sessions/${sessionId}/events`, { headers: AUTH }, (response) => {
        response.pause();
        resolve(request);
      });
    });
    const steady = collect(sessionId, server.url);
    await until('two watchers', async () => (await listSessions({ url: server.url, token: KEY }))[0]?.watchers === 2);
    const chunks = randomChunks(audio, 5, 1, 8192);
    let churned = 0;
    for (const [i, chunk] of chunks.entries()) {
      caller.send(chunk);
      if (i % 40 === 0) {
        // Churn: a third watcher comes and goes; a fourth is refused while it is there.
        const controller = new AbortController();
        const response = await fetch(`${server.url}/v1/sessions/${sessionId}/events`, { headers: AUTH, signal: controller.signal });
        if (response.status === 200) {
          const refused = await fetch(`${server.url}/v1/sessions/${sessionId}/events`, { headers: AUTH });
          assert.equal(refused.status, 429);
          assert.equal(((await refused.json()) as { code: string }).code, 'too_many_watchers');
          churned += 1;
        }
        controller.abort();
        await response.body?.cancel().catch(() => undefined);
      }
    }
    caller.sendJson({ type: 'end' });
    await caller.closed;
    assert.ok(churned > 0, 'watchers came and went during the call');
    for (const channel of [0, 1]) {
      assertResultsClose(channelResults(caller.results, channel), channelResults(alone.results, channel), `channel ${channel} with watchers`);
    }
    assert.equal(caller.messages.filter((m) => m.type === 'error').length, 0);
    assert.equal(await steady.done, null);
    stuck.destroy();
  });
});
