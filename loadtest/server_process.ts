/**
 * Spawns the server as a child process (`node --import tsx server/main.ts …`) on a free
 * port, waits until /metrics answers, reads its CPU time from /proc, and stops it with
 * SIGTERM (the server drains and exits, which also writes its --cpu-prof profile).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ServerMode } from './options.js';

export interface SpawnConfig {
  mode: ServerMode;
  /** Extra server flags, appended last so they override ours. */
  extraArgs: string[];
  /** Folder for V8 CPU profiles, or undefined for none. */
  cpuProfDir: string | undefined;
  /** File receiving the server's stdout and stderr. */
  logFile: string;
  /** Largest stream count the runs will use; the server's maxSessions must admit it. */
  maxStreams: number;
  /** How long to wait for the server to answer, ms. Default 120 000 (model loading is slow). */
  readyTimeoutMs?: number;
}

export interface SpawnedServer {
  url: string;
  pid: number;
  mode: ServerMode;
  /** Server process CPU seconds so far (user + system, all threads), or null off Linux. */
  cpuSeconds(): Promise<number | null>;
  stop(): Promise<void>;
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** An ephemeral port that was free a moment ago (the server binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** utime + stime of a process from /proc/<pid>/stat, seconds. */
export async function procCpuSeconds(pid: number, ticksPerSecond = 100): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return null;
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export async function spawnServer(config: SpawnConfig): Promise<SpawnedServer> {
  const port = await freePort();
  const nodeArgs = ['--import', 'tsx'];
  if (config.cpuProfDir !== undefined) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${config.cpuProfDir}`);
  const serverArgs = [
    '--port', String(port),
    '--host', '127.0.0.1',
    '--mode', config.mode,
    '--max-sessions', String(Math.max(200, config.maxStreams * 2)),
    '--log-level', 'warn',
    ...config.extraArgs,
  ];
  const child = spawn(process.execPath, [...nodeArgs, 'server/main.ts', ...serverArgs], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    // As `npm start` and the image run it (docs/configuration.md): two malloc arenas.
    env: { MALLOC_ARENA_MAX: '2', ...process.env },
  });
  const log = createWriteStream(config.logFile);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (config.readyTimeoutMs ?? 120_000);
  while (true) {
    if (child.exitCode !== null) {
      throw new Error(`the ${config.mode} server exited with code ${child.exitCode} before it was ready; see ${config.logFile}`);
    }
    try {
      const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the ${config.mode} server did not answer ${url}/metrics in time; see ${config.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const pid = child.pid ?? -1;
  return {
    url,
    pid,
    mode: config.mode,
    cpuSeconds: () => procCpuSeconds(pid),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited(child);
      clearTimeout(timer);
      log.end();
    },
  };
}
