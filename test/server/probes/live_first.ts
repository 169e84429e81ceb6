/**
 * A small, bounded experiment (not a test: it prints numbers, asserts nothing): one live
 * bystander streams speech at real time beside N clients that send audio as fast as the
 * server takes it (reading their results), with the server paced (`maxRealTimeMultiple`)
 * or not. Prints the bystander's result latency p50/p95/p99 for each arm.
 *
 *   node --import tsx test/server/probes/live_first.ts [--flat 10] [--seconds 20] [--multiples 4,10000]
 *
 * Latency: from sending the 20 ms chunk that holds a result's `endMs` sample to receiving
 * the result, client-side. The server runs as its own process (npm start's entry point) on
 * loopback, so the clients do not share its event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import type { ServerMessage } from '../../../shared/protocol.js';
import { FIXTURES, readWavPcm, testModelDir } from '../../helpers/server.js';

const { values } = parseArgs({
  options: {
    flat: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '20' },
    multiples: { type: 'string', default: '4,10000' },
    workers: { type: 'string', default: '2' },
  },
});
const FLAT = Number(values.flat);
const SECONDS = Number(values.seconds);
const CHUNK_MS = 20;
const BYTES_PER_MS = 32; // 16 kHz s16 mono
/** The bystander's hop: short, so a 20 s arm yields 200 latency samples. */
const BYSTANDER_HOP_MS = 100;
const FLAT_HOP_MS = 250;

async function startServerProcess(multiple: number): Promise<{ child: ChildProcess; wsUrl: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'server/main.ts', '--port', '0', '--host', '127.0.0.1', '--model', await testModelDir(), '--workers', values.workers, '--max-real-time-multiple', String(multiple), '--max-sessions', '1000'],
    { cwd: new URL('../../../', import.meta.url), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let logs = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      logs += chunk.toString();
      const match = /"msg":"listening","url":"([^"]+)"/.exec(logs);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${logs}`)));
  });
  return { child, wsUrl: `${url.replace(/^http/, 'ws')}/v1/stream` };
}

function open(wsUrl: string, hopMs: number, onMessage: (m: ServerMessage) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    ws.on('message', (data, isBinary) => {
      if (!isBinary) onMessage(JSON.parse(data.toString()) as ServerMessage);
    });
    ws.once('error', reject);
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'start', sampleRate: 16_000, encoding: 'pcm_s16le', channels: 1, hopMs }));
      resolve(ws);
    });
  });
}

/** Sends `audio` in a loop as fast as the socket drains (backpressure respected), until stopped. */
function flatOut(ws: WebSocket, audio: Uint8Array, stop: () => boolean): void {
  let offset = 0;
  const pump = (): void => {
    while (!stop() && ws.readyState === ws.OPEN && ws.bufferedAmount < 256 * 1024) {
      const chunk = audio.subarray(offset, offset + 32_000);
      ws.send(chunk);
      offset = offset + 32_000 >= audio.length ? 0 : offset + 32_000;
    }
    if (!stop() && ws.readyState === ws.OPEN) setTimeout(pump, 5);
  };
  pump();
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

async function arm(multiple: number, flat: number, audio: Uint8Array): Promise<string> {
  const { child, wsUrl } = await startServerProcess(multiple);
  let stopped = false;
  const flatSockets: WebSocket[] = [];
  let flatResults = 0;
  for (let i = 0; i < flat; i += 1) {
    const ws = await open(wsUrl, FLAT_HOP_MS, (m) => {
      if (m.type === 'emotion') flatResults += 1;
    });
    flatSockets.push(ws);
    flatOut(ws, audio, () => stopped);
  }
  const sentAtMs: number[] = [];
  const latencies: number[] = [];
  const bystander = await open(wsUrl, BYSTANDER_HOP_MS, (m) => {
    if (m.type !== 'emotion' || m.final === true) return;
    const sent = sentAtMs[Math.floor(Math.max(0, m.endMs - 1) / CHUNK_MS)];
    if (sent !== undefined) latencies.push(performance.now() - sent);
  });
  const t0 = performance.now();
  const chunks = Math.floor((SECONDS * 1000) / CHUNK_MS);
  for (let k = 0; k < chunks; k += 1) {
    // Sample counts are the clock of the stream; the wall clock only paces the sender.
    const dueMs = t0 + k * CHUNK_MS;
    const waitMs = dueMs - performance.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    const start = ((k * CHUNK_MS * BYTES_PER_MS) % audio.length) & ~1;
    sentAtMs[k] = performance.now();
    bystander.send(audio.subarray(start, start + CHUNK_MS * BYTES_PER_MS));
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  stopped = true;
  for (const ws of [...flatSockets, bystander]) ws.terminate();
  child.kill('SIGKILL');
  const sorted = [...latencies].sort((a, b) => a - b);
  const flatAudioS = (flatResults * FLAT_HOP_MS) / 1000;
  return `multiple ${multiple}, ${flat} flat-out: bystander p50 ${quantile(sorted, 0.5).toFixed(1)} / p95 ${quantile(sorted, 0.95).toFixed(1)} / p99 ${quantile(sorted, 0.99).toFixed(1)} ms (${sorted.length} results); flat-out clients got ${flatAudioS.toFixed(0)} s of audio answered in ${SECONDS} s (${(flatAudioS / SECONDS / Math.max(1, flat)).toFixed(1)}× real time each)`;
}

const pcm = await readWavPcm(FIXTURES.happy);
console.log(await arm(4, 0, pcm.data));
for (const multiple of values.multiples.split(',').map(Number)) console.log(await arm(multiple, FLAT, pcm.data));
