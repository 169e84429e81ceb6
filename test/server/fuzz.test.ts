/**
 * A seeded protocol fuzzer: many sessions, each a random script of valid and invalid control
 * messages, binary messages of random sizes and contents in every encoding, pauses, stalls
 * and disconnects, run a few at a time against one real server. Every session must end in
 * one of the documented ways — final result + summary + 1000, exactly one error with a
 * documented code and its close code, a bare 1009 for a message past the socket cap, or the
 * client's own disconnect — and afterwards the server must be healthy with every gauge,
 * stream and tensor back at its baseline.
 *
 * Replay a failure with SER_FUZZ_SEED=<seed> (printed in the assertion); SER_FUZZ_SESSIONS
 * sets the count (default 1500).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ERROR_CODES, isErrorCode } from '../../shared/error_codes.js';
import { mulberry32 } from '../../shared/prng.js';
import type { ServerMessage } from '../../shared/protocol.js';
import type { RunningServer } from '../../server/app.js';
import { FIXTURES, TestClient, isEmotion, isError, isSummary, readWavPcm, scrapeMetrics, startTestServer, warmUpWorkers } from '../helpers/server.js';

const SEED = Number(process.env.SER_FUZZ_SEED ?? 20_261_130);
const SESSIONS = Number(process.env.SER_FUZZ_SESSIONS ?? 1_500);
const CONCURRENCY = 8;
const MAX_MESSAGE_BYTES = 4_096;
/** How long a session may take to end after its script, ms (a whole 2 s backlog at the pace below, with margin). */
const SETTLE_MS = 20_000;

const ENCODINGS = ['pcm_s16le', 'pcm_f32le', 'mulaw', 'alaw'] as const;
const RATES = [8_000, 11_025, 16_000, 22_050, 44_100, 48_000];

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const int = (random: Random, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

type Step =
  | { kind: 'text'; data: string }
  | { kind: 'binary'; data: Uint8Array }
  | { kind: 'wait'; ms: number }
  | { kind: 'close' }
  | { kind: 'terminate' };

function validStart(random: Random): Record<string, unknown> {
  const start: Record<string, unknown> = { type: 'start', sampleRate: pick(random, RATES), encoding: pick(random, ENCODINGS), channels: int(random, 1, 2) };
  if (random() < 0.5) start.hopMs = int(random, 50, 1_000);
  if (random() < 0.3) start.smoothing = random() * 0.99;
  return start;
}

function invalidStart(random: Random): Record<string, unknown> {
  const start = validStart(random);
  const mutations: (() => void)[] = [
    () => (start.encoding = pick(random, ['mp3', 'PCM_S16LE', '', 7, null])),
    () => (start.sampleRate = pick(random, [0, 7_999, 48_001, 96_000, '16000', 16_000.5, null])),
    () => (start.channels = pick(random, [0, 3, '1', 1.5])),
    () => (start.hopMs = pick(random, [0, 49, 5_001, 'x', 100.5])),
    () => (start.smoothing = pick(random, [-0.1, 1, 2, 'a'])),
  ];
  pick(random, mutations)();
  return start;
}

function garbageText(random: Random): string {
  return pick(random, [
    'hello',
    '',
    '[]',
    'null',
    '42',
    '{"type":"pause"}',
    '{"type":',
    '{"type":"end","extra":[1,2,3]}',
    JSON.stringify({ type: 'x'.repeat(int(random, 1, 3_000)) }),
    'x'.repeat(int(random, MAX_MESSAGE_BYTES + 1, 2 * MAX_MESSAGE_BYTES)),
    '\u0000\uffff\ud800',
  ]);
}

function randomBinary(random: Random): Uint8Array {
  const size = pick(random, [
    0,
    1,
    3,
    int(random, 2, 640),
    int(random, 641, MAX_MESSAGE_BYTES),
    MAX_MESSAGE_BYTES,
    int(random, MAX_MESSAGE_BYTES + 1, 2 * MAX_MESSAGE_BYTES),
    int(random, 2 * MAX_MESSAGE_BYTES + 1, 3 * MAX_MESSAGE_BYTES),
  ]);
  const data = new Uint8Array(size);
  const content = random();
  if (content < 0.3) {
    for (let i = 0; i < size; i += 1) data[i] = Math.floor(random() * 256);
  } else if (content < 0.5 && size >= 4) {
    // Float32 NaN / Inf somewhere (bad_audio for pcm_f32le, noise otherwise).
    const view = new DataView(data.buffer);
    for (let i = 0; i + 4 <= size; i += 4) view.setFloat32(i, random() < 0.02 ? pick(random, [Number.NaN, Infinity, -Infinity]) : random() * 2 - 1, true);
  } else if (content < 0.8) {
    // A tone-ish s16 signal.
    for (let i = 0; i + 1 < size; i += 2) {
      const v = Math.round(8_000 * Math.sin(i / 9));
      data[i] = v & 0xff;
      data[i + 1] = (v >> 8) & 0xff;
    }
  }
  return data;
}

/** A random session script. Most sessions are well-formed (start, audio, end) with mistakes mixed in. */
function script(random: Random): Step[] {
  const steps: Step[] = [];
  const wellFormed = random() < 0.6;
  if (wellFormed || random() < 0.5) steps.push({ kind: 'text', data: JSON.stringify(random() < 0.9 || wellFormed ? validStart(random) : invalidStart(random)) });
  const n = int(random, 0, 12);
  for (let i = 0; i < n; i += 1) {
    const r = random();
    if (wellFormed) {
      if (r < 0.75) steps.push({ kind: 'binary', data: randomBinary(random).subarray(0, MAX_MESSAGE_BYTES) });
      else steps.push({ kind: 'wait', ms: int(random, 0, 40) });
      continue;
    }
    if (r < 0.45) steps.push({ kind: 'binary', data: randomBinary(random) });
    else if (r < 0.6) steps.push({ kind: 'wait', ms: int(random, 0, 40) });
    else if (r < 0.7) steps.push({ kind: 'text', data: garbageText(random) });
    else if (r < 0.78) steps.push({ kind: 'text', data: JSON.stringify(pick(random, [validStart(random), invalidStart(random)])) });
    else if (r < 0.86) steps.push({ kind: 'text', data: '{"type":"end"}' });
    else if (r < 0.9) steps.push({ kind: 'wait', ms: int(random, 600, 900) }); // past idleTimeoutMs / startTimeoutMs
    else if (r < 0.95) steps.push({ kind: 'close' });
    else steps.push({ kind: 'terminate' });
  }
  if (random() < 0.9) steps.push({ kind: 'text', data: '{"type":"end"}' });
  return steps;
}

interface Outcome {
  seed: number;
  messages: ServerMessage[];
  closeCode: number;
  byClient: boolean;
  sentOverSocketCap: boolean;
}

async function runSession(wsUrl: string, seed: number): Promise<Outcome> {
  const random = mulberry32(seed);
  const steps = script(random);
  const client = new TestClient(wsUrl);
  await client.opened;
  let byClient = false;
  let sentOverSocketCap = false;
  for (const step of steps) {
    if (client.closeCode !== null) break;
    if (step.kind === 'wait') await new Promise((resolve) => setTimeout(resolve, step.ms));
    else if (step.kind === 'text') {
      if (step.data.length > 2 * MAX_MESSAGE_BYTES) sentOverSocketCap = true;
      client.send(step.data);
    } else if (step.kind === 'binary') {
      if (step.data.length > 2 * MAX_MESSAGE_BYTES) sentOverSocketCap = true;
      client.send(step.data);
    } else {
      byClient = true;
      if (step.kind === 'close') client.ws.close(1000);
      else client.ws.terminate();
      break;
    }
  }
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    client.closed,
    new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), SETTLE_MS);
    }),
  ]);
  clearTimeout(timer);
  if (settled === null) {
    client.ws.terminate();
    throw new Error(`seed ${seed}: the session did not end within ${SETTLE_MS} ms of its script (${JSON.stringify(steps.map((s) => s.kind))})`);
  }
  return { seed, messages: client.messages, closeCode: settled.code, byClient, sentOverSocketCap };
}

/** The documented ways a session may end; returns why not, or null. */
function judge(o: Outcome): string | null {
  const errors = o.messages.filter(isError);
  if (errors.length > 1) return `${errors.length} error messages`;
  const error = errors[0];
  if (error !== undefined) {
    if (!isErrorCode(error.code)) return `undocumented code ${String(error.code)}`;
    if (error.retryable !== ERROR_CODES[error.code].retryable) return `${error.code}: retryable ${String(error.retryable)}`;
    if (o.messages.at(-1) !== error) return `${error.code}: messages after the error`;
    if (!o.byClient && o.closeCode !== ERROR_CODES[error.code].closeCode) return `${error.code}: close ${o.closeCode}`;
    return null;
  }
  if (o.byClient) return null;
  if (o.closeCode === 1009) return o.sentOverSocketCap ? null : 'bare 1009 without an oversize message';
  if (o.closeCode === 1000) {
    const last = o.messages.at(-1);
    if (last === undefined || !isSummary(last)) return 'closed 1000 without a summary last';
    const results = o.messages.filter(isEmotion);
    if (results.at(-1)?.final !== true) return 'closed 1000 without a final result';
    if (results.some((r, i) => r.seq !== i)) return 'results out of sequence';
    return null;
  }
  return `closed ${o.closeCode} with no error message`;
}

describe('protocol fuzzer', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer({
      maxMessageBytes: MAX_MESSAGE_BYTES,
      maxSessions: 2 * CONCURRENCY,
      startTimeoutMs: 500,
      idleTimeoutMs: 500,
      maxBacklogSeconds: 2,
      maxRealTimeMultiple: 50,
      heartbeatMs: 2_000,
    });
  });
  after(async () => {
    await server.close();
  });

  it(`${SESSIONS} seeded sessions end in documented ways; the server returns to its baseline`, async () => {
    // One speech session per worker first (all open before any audio, so that each worker
    // gets one even on a busy machine): model state built on first use is not a leak.
    await warmUpWorkers(server, (await readWavPcm(FIXTURES.angry)).data.subarray(32_000, 44_800));
    const baseline = await server.modelStats();
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => {
      uncaught.push(err);
    };
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    const tally = new Map<string, number>();
    const failures: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < SESSIONS) {
        const seed = SEED + next;
        next += 1;
        const outcome = await runSession(server.wsUrl, seed);
        const why = judge(outcome);
        if (why !== null) failures.push(`seed ${seed}: ${why}`);
        const error = outcome.messages.find(isError);
        const key = outcome.byClient ? 'client disconnect' : error !== undefined ? error.code : `close ${outcome.closeCode}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
      }
    };
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    } finally {
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUncaught);
    }
    console.log(`fuzz: ${SESSIONS} sessions from seed ${SEED}: ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} sessions ended in undocumented ways`);
    assert.deepEqual(uncaught, [], 'no uncaught exception or unhandled rejection');
    assert.ok((tally.get('close 1000') ?? 0) > SESSIONS / 10, 'a good share of sessions completed normally');

    // Health and baselines, once the last closes have been processed.
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const metrics = await scrapeMetrics(server);
      const stats = await server.modelStats();
      const readyz = (await (await fetch(`${server.url}/readyz`)).json()) as { status: string; capacityLeft: number };
      const state = {
        sessionsActive: metrics.get('ser_sessions_active'),
        sessionsPaused: metrics.get('ser_sessions_paused'),
        backlogBytes: metrics.get('ser_backlog_bytes'),
        workerSessions: stats.sessions,
        inFlight: stats.inFlight,
        numTensors: stats.numTensors,
        ready: readyz.status,
        capacityLeft: readyz.capacityLeft,
      };
      const expected = {
        sessionsActive: 0,
        sessionsPaused: 0,
        backlogBytes: 0,
        workerSessions: 0,
        inFlight: 0,
        numTensors: baseline.numTensors,
        ready: 'ready',
        capacityLeft: server.config.maxSessions,
      };
      if (JSON.stringify(state) === JSON.stringify(expected) || Date.now() > deadline) {
        assert.deepEqual(state, expected, 'back to baseline');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
});
