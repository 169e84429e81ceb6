/**
 * The supervisor's wallboard (/wallboard) in a real Chromium (Debian's /usr/bin/chromium via
 * playwright-core), served by the real server with API keys: two live two-channel calls
 * streamed in real time appear as tiles with each channel's current emotion and trend;
 * a click opens the call's timeline; screenshots at desktop and tablet widths go to
 * test-artifacts/; ended calls leave the board; a wrong key shows `unauthorized`.
 *
 * Without /usr/bin/chromium these tests skip, unless SER_REQUIRE_BROWSER=1 (CI).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { buildClient } from '../../client/browser/build.js';
import type { RunningServer } from '../../server/app.js';
import { clipPair, encodeSamples, interleave } from '../helpers/channels.js';
import { FIXTURES, TestClient, isReady, startTestServer } from '../helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const PAGE_TIMEOUT_MS = 60_000;
const KEY = 'wallboard-key';
/** 100 ms of 16 kHz 16-bit stereo. */
const CHUNK_BYTES = 6_400;

const skip =
  existsSync(CHROMIUM) || process.env.SER_REQUIRE_BROWSER === '1'
    ? false
    : `${CHROMIUM} not found: install Debian's chromium (SER_REQUIRE_BROWSER=1 turns this skip into a failure)`;

/** A call streaming `audio` in real time, looping, until `stop()` (which ends it and waits for the close). */
async function liveCall(wsUrl: string, audio: Uint8Array, callId: string): Promise<{ stop(): Promise<void> }> {
  const client = new TestClient(wsUrl, { headers: { Authorization: `Bearer ${KEY}` } });
  await client.opened;
  client.sendJson({ type: 'start', sampleRate: 16_000, encoding: 'pcm_s16le', channels: 2, channelMode: 'separate', channelLabels: ['agent', 'caller'], externalIds: { callId } });
  await client.waitFor(isReady);
  let at = 0;
  const timer = setInterval(() => {
    client.send(audio.subarray(at, at + CHUNK_BYTES));
    at = at + CHUNK_BYTES >= audio.length ? 0 : at + CHUNK_BYTES;
  }, 100);
  return {
    stop: async () => {
      clearInterval(timer);
      client.sendJson({ type: 'end' });
      await client.closed;
    },
  };
}

describe('wallboard in Chromium', { skip }, () => {
  let server: RunningServer;
  let browser: Browser;
  let audioA: Uint8Array;
  let audioB: Uint8Array;

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    const staticDir = await buildClient();
    server = await startTestServer({ staticDir, apiKeys: [KEY] });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'] });
    const [angry, happy] = await clipPair(FIXTURES.angry, FIXTURES.happy, 16_000);
    const [neutral] = await clipPair(FIXTURES.neutral, FIXTURES.happy, 16_000);
    audioA = interleave(encodeSamples(happy, 'pcm_s16le'), encodeSamples(angry, 'pcm_s16le'), 2);
    audioB = interleave(encodeSamples(neutral, 'pcm_s16le'), encodeSamples(happy.slice(0, neutral.length), 'pcm_s16le'), 2);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('live calls as tiles; the timeline on click; desktop and tablet screenshots; ended calls leave', async () => {
    const calls = [await liveCall(server.wsUrl, audioA, 'call-A'), await liveCall(server.wsUrl, audioB, 'call-B')];
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(PAGE_TIMEOUT_MS);
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    try {
      await page.goto(`${server.url}/wallboard?token=${KEY}&refreshMs=500&arousal=0.05&seconds=1`);
      await page.waitForFunction(() => document.querySelectorAll('.tile').length === 2);
      // Both channels of both calls have a current emotion (a result arrived on each).
      await page.waitForFunction(() => document.querySelectorAll('.tile .channel[data-top]').length === 4);
      // And a trend of a few points.
      await page.waitForFunction(() => [...document.querySelectorAll('.spark polyline.arousal')].every((p) => (p.getAttribute('points') ?? '').split(' ').length >= 4));
      const names = await page.$$eval('.tile .name', (els) => els.map((e) => e.textContent).sort());
      assert.deepEqual(names, ['call-A', 'call-B']);
      const tops = await page.$$eval('.tile .channel', (els) => els.map((e) => (e as HTMLElement).dataset.top));
      assert.ok(tops.every((t) => server.model.labels.includes(t ?? '')), `top emotions are labels: ${tops.join(', ')}`);
      assert.equal(await page.textContent('#count'), '2');
      assert.match((await page.textContent('.tile .duration')) ?? '', /^\d+:\d\d$/);
      await page.screenshot({ path: join(ARTIFACTS, 'wallboard-desktop.png') });

      await page.click('.tile >> nth=0');
      await page.waitForSelector('#detail:not([hidden])');
      assert.match((await page.textContent('.detail-title')) ?? '', /call-[AB] · agent \/ caller/);
      await page.waitForTimeout(600);
      await page.screenshot({ path: join(ARTIFACTS, 'wallboard-detail.png'), fullPage: true });

      await page.setViewportSize({ width: 768, height: 1024 });
      await page.waitForTimeout(300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling at tablet width (overflow ${overflow}px)`);
      await page.screenshot({ path: join(ARTIFACTS, 'wallboard-tablet.png'), fullPage: true });

      for (const call of calls) await call.stop();
      await page.waitForFunction(() => document.querySelectorAll('.tile[data-ended="true"]').length === 2);
      await page.waitForFunction(() => document.body.dataset.calls === '0');
      assert.equal(await page.isVisible('#empty'), true);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('a wrong key: the board says unauthorized', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(PAGE_TIMEOUT_MS);
    try {
      await page.goto(`${server.url}/wallboard?token=wrong`);
      await page.waitForFunction(() => (document.getElementById('status-text')?.textContent ?? '').startsWith('unauthorized'));
      assert.equal(await page.getAttribute('#status', 'data-state'), 'error');
    } finally {
      await context.close();
    }
  });
});
