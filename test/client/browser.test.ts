/**
 * The dashboard in a real Chromium (Debian's /usr/bin/chromium via playwright-core), served
 * by the real server: live microphone capture (Chromium's fake device playing a speech
 * fixture) through the AudioWorklet, the file-analysis path with the WAV download, and the
 * error notices. Screenshots go to test-artifacts/.
 *
 * Without /usr/bin/chromium these tests skip, unless SER_REQUIRE_BROWSER=1 (CI), where the
 * launch failure fails them.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildClient } from '../../client/browser/build.js';
import type { RunningServer } from '../../server/app.js';
import { decodeWavToMono } from '../../shared/wav.js';
import { FIXTURES, readWavMono, scrapeMetrics, startTestServer } from '../helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
/** Speech the fake microphone loops (16-bit PCM WAV, as Chromium's fake capture expects). */
const MIC_WAV = FIXTURES.angry;
/** Bound on waiting for the page, ms: generous, never an assertion about speed. */
const PAGE_TIMEOUT_MS = 60_000;

const skip =
  existsSync(CHROMIUM) || process.env.SER_REQUIRE_BROWSER === '1'
    ? false
    : `${CHROMIUM} not found: install Debian's chromium (SER_REQUIRE_BROWSER=1 turns this skip into a failure)`;

const AUDIO_SECONDS = 'ser_audio_received_seconds_total';

describe('dashboard in Chromium', { skip }, () => {
  let server: RunningServer;
  let browser: Browser;

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    const staticDir = await buildClient();
    server = await startTestServer({ staticDir });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-gpu',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${MIC_WAV}`,
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function openPage(query = ''): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(PAGE_TIMEOUT_MS);
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${server.url}/${query}`);
    return { context, page, errors };
  }

  const resultsShown = (page: Page, atLeast: number): Promise<unknown> =>
    page.waitForFunction((n) => Number(document.body.dataset.results ?? 0) >= n, atLeast);

  async function barValues(page: Page): Promise<Map<string, number>> {
    const rows = await page.$$eval('.bar-row', (els) => els.map((el) => [el.getAttribute('data-label') ?? '', Number(el.getAttribute('data-p'))] as const));
    return new Map(rows);
  }

  test('microphone: live distributions, the server counts the audio, screenshot', async () => {
    const { context, page, errors } = await openPage();
    try {
      const before = (await scrapeMetrics(server)).get(AUDIO_SECONDS) ?? 0;
      await page.click('#mic-start');
      await resultsShown(page, 12); // 12 hops of 250 ms: three seconds of captured speech

      const bars = await barValues(page);
      assert.deepEqual([...bars.keys()], server.model.labels);
      const sum = [...bars.values()].reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 0.01, `bars sum to ${sum}`);
      assert.ok(server.model.labels.includes((await page.textContent('#top-label')) ?? ''));
      assert.match((await page.textContent('#top-conf')) ?? '', /^\d+%$/);
      assert.match((await page.textContent('#latency')) ?? '', /^\d+ ms$/);
      assert.equal(await page.getAttribute('#conn', 'data-state'), 'streaming');
      assert.match((await page.textContent('#arousal')) ?? '', /^-?\d\.\d\d$/);

      const received = ((await scrapeMetrics(server)).get(AUDIO_SECONDS) ?? 0) - before;
      assert.ok(received >= 2, `server counted ${received} s of audio (${AUDIO_SECONDS})`);
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-live.png') });

      await page.click('#mic-stop');
      await page.waitForFunction(() => document.body.dataset.summary !== undefined);
      assert.match((await page.textContent('#notice-title')) ?? '', /^Done · mostly \w+/);
      assert.equal(await page.isEnabled('#download'), true, 'the recording can be downloaded');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('file analysis as fast as allowed, then the recording downloads as WAV', async () => {
    const { context, page, errors } = await openPage();
    try {
      await page.selectOption('#pace', 'fast');
      await page.setInputFiles('#file-input', FIXTURES.happy);
      await page.waitForFunction(() => document.body.dataset.summary !== undefined);
      assert.ok(Number(await page.getAttribute('body', 'data-results')) >= 10);
      const bars = await barValues(page);
      assert.equal(bars.size, server.model.labels.length);
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-file.png') });

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      const saved = join(ARTIFACTS, 'dashboard-recording.wav');
      await download.saveAs(saved);
      const wav = decodeWavToMono(new Uint8Array(await readFile(saved)));
      const original = await readWavMono(FIXTURES.happy);
      assert.equal(wav.sampleRateHz, 16000);
      const seconds = wav.samples.length / wav.sampleRateHz;
      const expected = original.samples.length / original.sampleRateHz;
      assert.ok(Math.abs(seconds - expected) < 0.02, `recording is ${seconds} s, the file ${expected} s`);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('clear notices: microphone denied, server unreachable', async () => {
    const { context, page } = await openPage('?url=ws://127.0.0.1:9/v1/stream');
    try {
      await page.evaluate(() => {
        navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
      });
      await page.click('#mic-start');
      await page.waitForSelector('#notice:not([hidden])');
      assert.equal(await page.textContent('#notice-title'), 'Microphone access denied');

      await page.setInputFiles('#file-input', FIXTURES.neutral);
      await page.waitForFunction(() => document.getElementById('notice-title')?.textContent === 'Cannot reach the server');
      assert.equal(await page.getAttribute('#conn', 'data-state'), 'failed');
      assert.match((await page.textContent('#notice-code')) ?? '', /connection_failed/);
    } finally {
      await context.close();
    }
  });
});
