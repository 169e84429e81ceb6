/**
 * A bounded soak on loopback (not a test: it prints and writes numbers, asserts nothing).
 * Starts the server as its own process and keeps `--sessions` clients connected with churn:
 * live sessions of random length streaming speech at real time, a few slow readers (they
 * stop reading for seconds at a time), idle clients (start, then nothing: idle_timeout) and
 * abrupt disconnects. Every `--sample-s` seconds it scrapes /metrics and records RSS, heap,
 * live tensors, sessions, event-loop lag p99 and result latency p95 (from bucket deltas),
 * then writes JSON lines and an HTML page with one plot per series.
 *
 *   node --import tsx test/server/probes/soak.ts --minutes 2 --sessions 20 --out /tmp/soak
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { mulberry32 } from '../../../shared/prng.js';
import { FIXTURES, parsePrometheus, readWavPcm, testModelDir } from '../../helpers/server.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '2' },
    sessions: { type: 'string', default: '20' },
    'sample-s': { type: 'string', default: '10' },
    out: { type: 'string', default: '/tmp/ser-soak' },
    seed: { type: 'string', default: '1' },
  },
});
const MINUTES = Number(values.minutes);
const SESSIONS = Number(values.sessions);
const SAMPLE_MS = Number(values['sample-s']) * 1000;
const CHUNK_MS = 20;
const random = mulberry32(Number(values.seed));

const child = spawn(
  process.execPath,
  ['--import', 'tsx', 'server/main.ts', '--port', '0', '--host', '127.0.0.1', '--model', await testModelDir(), '--workers', '2', '--idle-timeout-ms', '5000'],
  { cwd: new URL('../../../', import.meta.url), stdio: ['ignore', 'ignore', 'pipe'] },
);
const url = await new Promise<string>((resolve, reject) => {
  let logs = '';
  child.stderr.on('data', (chunk: Buffer) => {
    logs += chunk.toString();
    const match = /"msg":"listening","url":"([^"]+)"/.exec(logs);
    if (match?.[1] !== undefined) resolve(match[1]);
  });
  child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${logs}`)));
});
const wsUrl = `${url.replace(/^http/, 'ws')}/v1/stream`;
const audio = (await readWavPcm(FIXTURES.angry)).data;
const endAtMs = performance.now() + MINUTES * 60_000;
const outcomes = new Map<string, number>();
const count = (key: string): void => {
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
};

type Kind = 'live' | 'slow_reader' | 'idle' | 'abrupt';

/** One client from connect to close; resolves when it is gone. */
function session(kind: Kind): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl);
    const lengthMs = 5_000 + random() * 55_000;
    let timer: NodeJS.Timeout | undefined;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const m = JSON.parse(data.toString()) as { type: string; code?: string };
      if (m.type === 'error') count(`${kind}: ${m.code ?? '?'}`);
      if (m.type === 'summary') count(`${kind}: summary`);
      if (m.type !== 'ready' || kind === 'idle') return;
      const t0 = performance.now();
      let k = 0;
      const tick = (): void => {
        const elapsedMs = performance.now() - t0;
        if (kind === 'abrupt' && elapsedMs > lengthMs / 3) {
          count('abrupt: terminated');
          ws.terminate();
          return;
        }
        if (elapsedMs >= lengthMs || performance.now() >= endAtMs) {
          ws.send('{"type":"end"}');
          return;
        }
        // Real time: every chunk due by now (sample counts are the stream's clock).
        while (k * CHUNK_MS <= elapsedMs) {
          const start = ((k * CHUNK_MS * 32) % audio.length) & ~1;
          ws.send(audio.subarray(start, start + CHUNK_MS * 32));
          k += 1;
        }
        if (kind === 'slow_reader' && random() < 0.01) {
          ws.pause();
          setTimeout(() => ws.resume(), 1_000 + random() * 9_000);
        }
        timer = setTimeout(tick, CHUNK_MS);
      };
      tick();
    });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'start', sampleRate: 16_000, encoding: 'pcm_s16le', channels: 1 })));
    ws.on('error', () => undefined);
    ws.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function pickKind(): Kind {
  const r = random();
  return r < 0.8 ? 'live' : r < 0.9 ? 'slow_reader' : r < 0.95 ? 'idle' : 'abrupt';
}

async function slot(): Promise<void> {
  while (performance.now() < endAtMs) await session(pickKind());
}

/** Quantile `q` of a Prometheus histogram's increase between two scrapes, s. */
function histogramQuantile(name: string, before: Map<string, number>, now: Map<string, number>, q: number): number {
  const buckets = [...now]
    .filter(([key]) => key.startsWith(`${name}_bucket{le="`))
    .map(([key, value]) => ({ le: Number(key.slice(name.length + 12, -2)), delta: value - (before.get(key) ?? 0) }))
    .sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.delta ?? 0;
  if (total <= 0) return Number.NaN;
  return buckets.find((b) => b.delta >= q * total)?.le ?? Number.NaN;
}

interface Sample {
  minute: number;
  rssMb: number;
  heapMb: number;
  tensors: number;
  sessions: number;
  lagP99Ms: number;
  latencyP95Ms: number;
}

const samples: Sample[] = [];
const scrape = async (): Promise<Map<string, number>> => parsePrometheus(await (await fetch(`${url}/metrics`)).text());
let previous = await scrape();
const startedMs = performance.now();
const sampler = setInterval(() => {
  void scrape().then((now) => {
    const sample: Sample = {
      minute: Math.round((performance.now() - startedMs) / 600) / 100,
      rssMb: Math.round((now.get('process_resident_memory_bytes') ?? 0) / 1e5) / 10,
      heapMb: Math.round((now.get('nodejs_heap_size_used_bytes') ?? 0) / 1e5) / 10,
      tensors: now.get('ser_model_tensors') ?? Number.NaN,
      sessions: now.get('ser_sessions_active') ?? Number.NaN,
      lagP99Ms: histogramQuantile('ser_event_loop_lag_seconds', previous, now, 0.99) * 1000,
      latencyP95Ms: histogramQuantile('ser_result_latency_seconds', previous, now, 0.95) * 1000,
    };
    previous = now;
    samples.push(sample);
    console.log(JSON.stringify(sample));
  });
}, SAMPLE_MS);

await Promise.all(Array.from({ length: SESSIONS }, slot));
clearInterval(sampler);
child.kill('SIGTERM');

function plot(key: Exclude<keyof Sample, 'minute'>): string {
  const points = samples.filter((s) => Number.isFinite(s[key]));
  const max = Math.max(1e-9, ...points.map((s) => s[key]));
  const width = 480;
  const height = 120;
  const span = Math.max(1e-9, ...points.map((s) => s.minute));
  const path = points.map((s) => `${((s.minute / span) * width).toFixed(1)},${(height - (s[key] / max) * height).toFixed(1)}`).join(' ');
  return `<figure><figcaption>${key} (max ${max})</figcaption><svg width="${width}" height="${height}" style="border:1px solid #ccc"><polyline fill="none" stroke="#36c" points="${path}"/></svg></figure>`;
}

await mkdir(values.out, { recursive: true });
await writeFile(join(values.out, 'samples.jsonl'), samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
const keys = ['rssMb', 'heapMb', 'tensors', 'sessions', 'lagP99Ms', 'latencyP95Ms'] as const;
await writeFile(
  join(values.out, 'index.html'),
  `<!doctype html><meta charset="utf-8"><title>soak</title><h1>soak: ${MINUTES} min, ${SESSIONS} clients</h1>${keys.map(plot).join('')}<pre>${JSON.stringify(Object.fromEntries(outcomes), null, 1)}</pre>`,
);
const first = samples[1] ?? samples[0];
const last = samples.at(-1);
console.log(`outcomes: ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);
if (first !== undefined && last !== undefined) {
  console.log(`RSS ${first.rssMb} → ${last.rssMb} MB, heap ${first.heapMb} → ${last.heapMb} MB, tensors ${first.tensors} → ${last.tensors} (second sample → last); report in ${values.out}/index.html`);
}
process.exit(0);
