/**
 * Alerts end to end: a server with one rule per label streams a real two-channel call; the
 * `alert` messages on the audio socket are exactly what the rules give over the results it
 * sent (recomputed here from those results), at least one is raised, each follows the
 * result that caused it, and a watcher receives the same alerts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RAVDESS_LABELS } from '../../models/registry.js';
import type { AlertMessage, EmotionMessage, ServerMessage } from '../../shared/protocol.js';
import type { WatchMessage } from '../../shared/watch.js';
import type { RunningServer } from '../../server/app.js';
import { resolveAlertRules } from '../../server/alerts/rules.js';
import { AlertTracker } from '../../server/alerts/tracker.js';
import { watch } from '../../client/sdk/node.js';
import { clipPair, encodeSamples, interleave } from '../helpers/channels.js';
import { FIXTURES, TestClient, isReady, randomChunks, scrapeMetrics, startTestServer } from '../helpers/server.js';

const RULES = RAVDESS_LABELS.map((label) => ({ name: `${label}_high`, label, threshold: 0.3, forMs: 500, clearForMs: 250 }));
const HOP_MS = 250;

describe('alerts', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer({ alertRules: RULES, watchHistoryMessages: 1000 });
  });
  after(async () => {
    await server.close();
  });

  it('raises and clears by the configured rules, on the audio socket and to watchers', async () => {
    const [a, b] = await clipPair(FIXTURES.angry, FIXTURES.happy, 16_000);
    const audio = interleave(encodeSamples(a, 'pcm_s16le'), encodeSamples(b, 'pcm_s16le'), 2);
    const client = new TestClient(server.wsUrl);
    await client.opened;
    client.sendJson({ type: 'start', sampleRate: 16_000, encoding: 'pcm_s16le', channels: 2, hopMs: HOP_MS, channelMode: 'separate', channelLabels: ['agent', 'caller'] });
    const { sessionId } = await client.waitFor(isReady);
    const watched: WatchMessage[] = [];
    const watchDone = new Promise((resolve) => watch(sessionId, { url: server.url }).subscribe({ next: (m) => watched.push(m), complete: () => resolve(null), error: resolve }));
    for (const chunk of randomChunks(audio, 9, 1000, 8000)) client.send(chunk);
    client.sendJson({ type: 'end' });
    await client.closed;
    assert.equal(await watchDone, null);

    const durationMs = (a.length / 16_000) * 1000;
    const tracker = new AlertTracker(resolveAlertRules(RULES, RAVDESS_LABELS));
    const expected: ServerMessage[] = [];
    for (const m of client.messages) {
      if (m.type !== 'emotion') continue;
      expected.push(m, ...tracker.push(m, m.final === true ? durationMs : m.startMs + HOP_MS));
    }
    const sent = client.messages.filter((m) => m.type === 'emotion' || m.type === 'alert');
    assert.deepEqual(sent, expected, 'each alert follows the result that caused it, as the rules say');
    const alerts = sent.filter((m): m is AlertMessage => m.type === 'alert');
    assert.ok(alerts.some((x) => x.state === 'raised'), `at least one alert raised, got ${JSON.stringify(alerts)}`);
    assert.ok(alerts.every((x) => x.channelLabel === (x.channel === 0 ? 'agent' : 'caller')));
    assert.deepEqual(watched.filter((m) => m.type === 'alert'), alerts, 'watchers get the same alerts');
    const metrics = await scrapeMetrics(server);
    assert.equal(metrics.get('ser_alerts_total{state="raised"}'), alerts.filter((x) => x.state === 'raised').length);
    assert.ok(sent.filter((m): m is EmotionMessage => m.type === 'emotion').length > 10);
  });
});
