/**
 * Shared test helpers: a model to serve, a server on an ephemeral port, and real WebSocket
 * clients that stream WAV fixtures in random chunks and collect what comes back.
 * Other folders' tests (client, loadtest) import these too.
 */
import { mulberry32 } from '../../shared/prng.js';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { ServerMessage, EmotionMessage, SummaryMessage, ErrorMessage, ReadyMessage, StartMessage } from '../../shared/protocol.js';
import { decodeWavToMono, parseWav } from '../../shared/wav.js';
import { DEFAULT_MODEL_DIR } from '../../models/registry.js';
import { startServer, type RunningServer } from '../../server/app.js';
import type { ServerConfig } from '../../server/config.js';

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/speech/', import.meta.url));

/** The three RAVDESS fixtures by emotion. */
export const FIXTURES = {
  neutral: join(FIXTURES_DIR, '03-01-01-01-01-01-01.wav'),
  happy: join(FIXTURES_DIR, '03-01-03-01-01-01-02.wav'),
  angry: join(FIXTURES_DIR, '03-01-05-02-01-01-01.wav'),
} as const;

/** True when the shipped (trained) model is present. */
export function hasShippedModel(): boolean {
  return existsSync(join(DEFAULT_MODEL_DIR, 'meta.json')) && existsSync(join(DEFAULT_MODEL_DIR, 'weights.bin'));
}

let modelDirPromise: Promise<string> | null = null;

/**
 * The model tests serve: the shipped one when present, else a randomly initialised model of
 * the default architecture saved to a temp dir (once per process). Set SER_TEST_MODEL_DIR to
 * force a directory.
 */
export function testModelDir(): Promise<string> {
  modelDirPromise ??= (async () => {
    const forced = process.env.SER_TEST_MODEL_DIR;
    if (forced !== undefined && forced !== '') return forced;
    if (hasShippedModel()) return DEFAULT_MODEL_DIR;
    const { createRandomModel } = await import('../../models/random_model.js');
    return (await createRandomModel('cnn-attn-lstm', 7)).dir;
  })();
  return modelDirPromise;
}

/** A server on 127.0.0.1, ephemeral port, silent logs, serving testModelDir() unless told otherwise. */
export async function startTestServer(config: Partial<ServerConfig> = {}): Promise<RunningServer> {
  return startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', modelDir: await testModelDir(), ...config });
}

/** Deterministic PRNG (mulberry32) so a failing chunking can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  return mulberry32(seed);
}

/** Splits `bytes` into chunks of random length in [minBytes, maxBytes] (odd sizes included). */
export function randomChunks(bytes: Uint8Array, seed: number, minBytes = 1, maxBytes = 8192): Uint8Array[] {
  const random = seededRandom(seed);
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const size = minBytes + Math.floor(random() * (maxBytes - minBytes + 1));
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

/** A WAV fixture as the raw PCM bytes a client would stream, with its format. */
export async function readWavPcm(path: string): Promise<{ sampleRateHz: number; channels: number; encoding: string; data: Uint8Array }> {
  const wav = parseWav(new Uint8Array(await readFile(path)));
  return { sampleRateHz: wav.sampleRateHz, channels: wav.channels, encoding: wav.encoding, data: wav.data };
}

export async function readWavMono(path: string): Promise<{ sampleRateHz: number; samples: Float32Array }> {
  return decodeWavToMono(new Uint8Array(await readFile(path)));
}

/** A WebSocket client that records every server message and the close. */
export class TestClient {
  readonly messages: ServerMessage[] = [];
  readonly ws: WebSocket;
  private waiters: (() => void)[] = [];
  closeCode: number | null = null;
  closeReason = '';
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.notify();
        resolve({ code, reason: this.closeReason });
      });
    });
    this.ws.on('error', () => undefined);
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) this.messages.push(JSON.parse(data.toString()) as ServerMessage);
      this.notify();
    });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves with the first message matching `predicate` (already received or future); rejects on close or timeout. */
  async waitFor<T extends ServerMessage>(predicate: (m: ServerMessage) => m is T, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found !== undefined) return found;
      if (this.closeCode !== null) throw new Error(`socket closed (${this.closeCode} ${this.closeReason}) before the awaited message`);
      if (Date.now() > deadline) throw new Error('timed out waiting for a message');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  send(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  sendJson(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  get results(): EmotionMessage[] {
    return this.messages.filter(isEmotion);
  }
}

export const isReady = (m: ServerMessage): m is ReadyMessage => m.type === 'ready';
export const isEmotion = (m: ServerMessage): m is EmotionMessage => m.type === 'emotion';
export const isSummary = (m: ServerMessage): m is SummaryMessage => m.type === 'summary';
export const isError = (m: ServerMessage): m is ErrorMessage => m.type === 'error';

export interface StreamOutcome {
  ready: ReadyMessage;
  results: EmotionMessage[];
  final: EmotionMessage | undefined;
  summary: SummaryMessage | undefined;
  errors: ErrorMessage[];
  messages: ServerMessage[];
  closeCode: number;
}

export interface StreamWavOptions {
  /** Seed of the random chunking; each chunk is 1 … maxChunkBytes bytes. */
  seed?: number;
  maxChunkBytes?: number;
  hopMs?: number;
  smoothing?: number;
  /** Pause between chunks, ms (0: as fast as the socket takes them). */
  chunkDelayMs?: number;
  /** Extra ws client options (headers …). */
  clientOptions?: WebSocket.ClientOptions;
}

/** Sends `start`, then `data` in random chunks, then `end`, and collects everything until close. */
export async function streamStartAndBytes(
  wsUrl: string,
  start: StartMessage,
  data: Uint8Array,
  options: Pick<StreamWavOptions, 'seed' | 'maxChunkBytes' | 'chunkDelayMs' | 'clientOptions'> = {},
): Promise<StreamOutcome> {
  const client = new TestClient(wsUrl, options.clientOptions);
  await client.opened;
  client.sendJson(start);
  const ready = await client.waitFor(isReady);
  for (const chunk of randomChunks(data, options.seed ?? 1, 1, options.maxChunkBytes ?? 8192)) {
    client.send(chunk);
    if (options.chunkDelayMs !== undefined && options.chunkDelayMs > 0) await new Promise((r) => setTimeout(r, options.chunkDelayMs));
  }
  client.sendJson({ type: 'end' });
  const { code } = await client.closed;
  const results = client.results;
  return {
    ready,
    results,
    final: results.find((r) => r.final === true),
    summary: client.messages.find(isSummary),
    errors: client.messages.filter(isError),
    messages: client.messages,
    closeCode: code,
  };
}

/** Streams a WAV fixture in random chunks, sends `end`, and collects everything until close. */
export async function streamWav(wsUrl: string, path: string, options: StreamWavOptions = {}): Promise<StreamOutcome> {
  const pcm = await readWavPcm(path);
  const start: StartMessage = {
    type: 'start',
    sampleRate: pcm.sampleRateHz,
    encoding: pcm.encoding as StartMessage['encoding'],
    channels: pcm.channels as 1 | 2,
  };
  if (options.hopMs !== undefined) start.hopMs = options.hopMs;
  if (options.smoothing !== undefined) start.smoothing = options.smoothing;
  return streamStartAndBytes(wsUrl, start, pcm.data, options);
}

/** Parses a Prometheus text exposition into `name{labels}` → value. */
export function parsePrometheus(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

export async function scrapeMetrics(server: RunningServer): Promise<Map<string, number>> {
  const response = await fetch(`${server.url}/metrics`);
  return parsePrometheus(await response.text());
}

/** Batched float32 math may differ from unbatched in the last bits; results carry 6 decimals. */
export const RESULT_TOLERANCE = 2e-6;

/** Same hops, same labels and flags, probabilities and affect equal within `tolerance`. */
export function assertResultsClose(actual: EmotionMessage[], expected: EmotionMessage[], what: string, tolerance = RESULT_TOLERANCE): void {
  assert.equal(actual.length, expected.length, `${what}: result count`);
  expected.forEach((e, i) => {
    const a = actual[i] as EmotionMessage;
    const { probs: ap, confidence: ac, arousal: aa, valence: av, top: _at, ...aRest } = a;
    const { probs: ep, confidence: ec, arousal: ea, valence: ev, top: _et, ...eRest } = e;
    assert.deepEqual(aRest, eRest, `${what} hop ${i}`);
    for (const [label, p] of Object.entries(ep)) {
      assert.ok(Math.abs((ap[label] ?? NaN) - p) <= tolerance, `${what} hop ${i} ${label}: expected ${p}, got ${ap[label]}`);
    }
    for (const [x, y] of [[ac, ec], [aa, ea], [av, ev]] as const) assert.ok(Math.abs(x - y) <= tolerance, `${what} hop ${i}: ${x} vs ${y}`);
  });
}

/** Polls `condition` every 20 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * One short session per worker, opened together so each worker gets one (least loaded):
 * a worker builds its model's cached tensors on its first call, so tensor counts compare
 * only after this. `speech`: 16 kHz pcm_s16le mono with voiced frames.
 */
export async function warmUpWorkers(server: RunningServer, speech: Uint8Array): Promise<void> {
  const warmUp = async (): Promise<TestClient> => {
    const warm = new TestClient(server.wsUrl);
    await warm.opened;
    warm.sendJson({ type: 'start', sampleRate: 16_000, encoding: 'pcm_s16le', channels: 1, hopMs: 250 });
    await warm.waitFor(isReady);
    return warm;
  };
  const warmed = await Promise.all(Array.from({ length: server.config.workers }, warmUp));
  for (const warm of warmed) {
    warm.send(speech);
    warm.sendJson({ type: 'end' });
  }
  await Promise.all(warmed.map((warm) => warm.closed));
}
