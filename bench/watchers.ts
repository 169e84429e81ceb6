/**
 * Does watching a call cost the call anything? One two-channel call (channelMode
 * 'separate'; the load generator's looped clips as agent and caller, the caller one clip
 * behind) streamed in real time, 100 ms per message,
 * measured twice: alone, then with watchers on it — some that never read their events and
 * some that come and go every 200 ms. Reports the call's result latency (the result's
 * arrival minus when the message carrying its last sample, `endMs`, was sent) and what the
 * watchers received, through the public API only (WebSocket + HTTP).
 *
 *   node --import tsx bench/watchers.ts [--seconds 10] [--stuck 10] [--churn 5] [--clips DIR]
 *
 * Prints numbers; never asserts on time (the machine may be shared).
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { loadClips } from '../loadtest/clips.js';
import { DEFAULT_CLIPS_DIR } from '../loadtest/options.js';
import { startServer } from '../server/app.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const SECONDS = arg('seconds', 10);
const STUCK = arg('stuck', 10);
const CHURN = arg('churn', 5);
const RATE_HZ = 16_000;
const CHUNK_MS = 100;
const clipsArg = process.argv.indexOf('--clips');
/** The load generator's clips (its --clips default unless given). */
const CLIPS_DIR = clipsArg > 0 ? (process.argv[clipsArg + 1] as string) : fileURLToPath(new URL(`../${DEFAULT_CLIPS_DIR}/`, import.meta.url));

/** SECONDS of the looped clips (loadtest/clips.ts, 16 kHz) as interleaved 16-bit stereo, the caller one clip behind. */
async function stereo(): Promise<Uint8Array> {
  const loop = await loadClips(CLIPS_DIR, 0);
  const pcm = new Int16Array(loop.pcm, 0, loop.loopSamples);
  const lag = loop.clipStartSamples[1] ?? Math.floor(loop.loopSamples / 2);
  const n = SECONDS * RATE_HZ;
  const out = new Uint8Array(n * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i += 1) {
    view.setInt16(4 * i, pcm[i % pcm.length] ?? 0, true);
    view.setInt16(4 * i + 2, pcm[(i + lag) % pcm.length] ?? 0, true);
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

/** Streams the call in real time; resolves with its session id (once ready) and its latencies (at the end). */
async function call(wsUrl: string, audio: Uint8Array, onReady: (id: string) => void): Promise<number[]> {
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve) => ws.once('open', resolve));
  const sentAt: number[] = [];
  const latencies: number[] = [];
  const done = new Promise<void>((resolve) => ws.on('close', () => resolve()));
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { type: string; sessionId?: string; endMs?: number; final?: boolean };
    if (m.type === 'ready') onReady(m.sessionId ?? '');
    if (m.type === 'emotion' && m.final !== true && m.endMs !== undefined) {
      const sent = sentAt[Math.max(0, Math.ceil(m.endMs / CHUNK_MS) - 1)];
      if (sent !== undefined) latencies.push(performance.now() - sent);
    }
  });
  ws.send(JSON.stringify({ type: 'start', sampleRate: RATE_HZ, encoding: 'pcm_s16le', channels: 2, channelMode: 'separate', channelLabels: ['agent', 'caller'] }));
  const chunkBytes = (RATE_HZ * CHUNK_MS * 4) / 1000;
  const t0 = performance.now();
  for (let k = 0; k * chunkBytes < audio.length; k += 1) {
    const due = t0 + k * CHUNK_MS;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    sentAt[k] = performance.now();
    ws.send(audio.subarray(k * chunkBytes, (k + 1) * chunkBytes));
  }
  ws.send(JSON.stringify({ type: 'end' }));
  await done;
  return latencies.sort((x, y) => x - y);
}

function summary(name: string, latencies: number[]): string {
  return `${name.padEnd(34)} results ${String(latencies.length).padStart(4)}  p50 ${percentile(latencies, 0.5).toFixed(1)} ms  p95 ${percentile(latencies, 0.95).toFixed(1)} ms  max ${(latencies.at(-1) ?? NaN).toFixed(1)} ms`;
}

const server = await startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', maxWatchersPerSession: STUCK + CHURN + 1 });
const audio = await stereo();
try {
  const alone = await call(server.wsUrl, audio, () => undefined);
  console.log(summary('alone', alone));

  const stuck: http.ClientRequest[] = [];
  let churned = 0;
  let churnTimer: NodeJS.Timeout | undefined;
  const watched = await call(server.wsUrl, audio, (id) => {
    const url = `${server.url}/v1/sessions/${id}/events`;
    for (let i = 0; i < STUCK; i += 1) {
      const request = http.get(url, (response) => response.pause());
      request.on('error', () => undefined);
      stuck.push(request);
    }
    churnTimer = setInterval(() => {
      for (let i = 0; i < CHURN; i += 1) {
        const controller = new AbortController();
        void fetch(url, { signal: controller.signal })
          .then(() => {
            churned += 1;
            setTimeout(() => controller.abort(), 100);
          })
          .catch(() => undefined);
      }
    }, 200);
  });
  clearInterval(churnTimer);
  for (const r of stuck) r.destroy();
  console.log(summary(`with ${STUCK} stuck + ${CHURN} churning watchers`, watched));
  console.log(`watch streams opened by churners: ${churned}`);
} finally {
  await server.close();
}
