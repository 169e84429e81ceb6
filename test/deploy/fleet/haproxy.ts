/**
 * The real HAProxy, configured by deploy/haproxy/haproxy.cfg itself: the test only swaps
 * the `server` lines between its BEGIN/END markers for loopback replicas and sets the
 * environment the file reads (bind addresses, a 500 ms check interval). Everything else —
 * leastconn, /readyz checks, retries, timeouts — is the deployed configuration.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEPLOY_DIR, run, which } from './tools.js';

export const HAPROXY_TEMPLATE = join(DEPLOY_DIR, 'haproxy', 'haproxy.cfg');

const BEGIN = '# BEGIN replicas';
const END = '# END replicas';

/** The template with its replica lines replaced by `servers` (name → host:port). */
export async function renderHaproxyConfig(servers: ReadonlyArray<{ name: string; address: string }>): Promise<string> {
  const template = await readFile(HAPROXY_TEMPLATE, 'utf8');
  const begin = template.indexOf(BEGIN);
  const end = template.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`${HAPROXY_TEMPLATE}: expected "${BEGIN}" … "${END}" markers`);
  const indent = template.slice(template.lastIndexOf('\n', begin) + 1, begin);
  const lines = servers.map((s) => `${indent}server ${s.name} ${s.address}\n`).join('');
  return `${template.slice(0, begin)}${BEGIN}\n${lines}${template.slice(template.lastIndexOf('\n', end) + 1)}`;
}

export interface ServerState {
  /** `UP`, `DOWN`, `UP 1/2` (going down), `DOWN 1/2` (coming up), `MAINT`, … */
  status: string;
  /** Connections open to it now, and in total. */
  current: number;
  total: number;
}

export class Haproxy {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    readonly statsPort: number,
    private readonly configFile: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Writes the config into `dir`, checks it with `haproxy -c`, starts haproxy in the foreground. */
  static async start(options: {
    dir: string;
    port: number;
    statsPort: number;
    servers: ReadonlyArray<{ name: string; address: string }>;
    checkInterval: string;
  }): Promise<Haproxy> {
    const bin = which('haproxy');
    if (bin === null) throw new Error('haproxy not found');
    const configFile = join(options.dir, 'haproxy.cfg');
    await writeFile(configFile, await renderHaproxyConfig(options.servers));
    const env = {
      ...process.env,
      SER_LB_BIND: `127.0.0.1:${options.port}`,
      SER_LB_STATS_BIND: `127.0.0.1:${options.statsPort}`,
      SER_LB_CHECK_INTER: options.checkInterval,
      SER_LB_MAXCONN: '2000',
    };
    run(bin, ['-c', '-f', configFile], { env });
    const lb = new Haproxy(options.port, options.statsPort, configFile, env);
    const child = spawn(bin, ['-db', '-f', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(join(options.dir, 'haproxy.log'));
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    lb.child = child;
    return lb;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/v1/stream`;
  }

  /** Backend server states from the stats page (`/stats;csv`), by server name. */
  async servers(): Promise<Map<string, ServerState>> {
    const text = await (await fetch(`http://127.0.0.1:${this.statsPort}/stats;csv`)).text();
    const [header = '', ...rows] = text.trim().split('\n');
    const columns = header.replace(/^# /, '').split(',');
    const at = (name: string): number => columns.indexOf(name);
    const states = new Map<string, ServerState>();
    for (const row of rows) {
      const cells = row.split(',');
      const [proxy, server] = [cells[at('pxname')], cells[at('svname')]];
      if (proxy !== 'ser_replicas' || server === 'BACKEND' || server === 'FRONTEND' || server === undefined) continue;
      states.set(server, {
        status: cells[at('status')] ?? '',
        current: Number(cells[at('scur')]),
        total: Number(cells[at('stot')]),
      });
    }
    return states;
  }

  async status(server: string): Promise<string> {
    return (await this.servers()).get(server)?.status ?? 'absent';
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  get config(): { file: string; env: NodeJS.ProcessEnv } {
    return { file: this.configFile, env: this.env };
  }
}
