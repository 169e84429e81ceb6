/**
 * The real Prometheus, scraping every replica directly each second with the deployed alert
 * rules loaded (deploy/prometheus/alerts.yml). The scrape job is deploy/prometheus/
 * prometheus.yml's `ser` job with a static target list in place of Kubernetes discovery.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEPLOY_DIR, which } from './tools.js';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The scrape config the test runs: job `ser`, one static target per replica, labelled `replica`. */
export function renderPrometheusConfig(targets: ReadonlyArray<{ name: string; address: string }>): string {
  const statics = targets.map((t) => `      - targets: ['${t.address}']\n        labels: { replica: ${t.name} }\n`).join('');
  return [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    `  - ${join(DEPLOY_DIR, 'prometheus', 'alerts.yml')}`,
    'scrape_configs:',
    '  - job_name: ser',
    '    scrape_interval: 1s',
    '    scrape_timeout: 1s',
    targets.length === 0 ? '    static_configs: []\n' : `    static_configs:\n${statics}`,
  ].join('\n');
}

export class Prometheus {
  private child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(options: { dir: string; port: number; targets: ReadonlyArray<{ name: string; address: string }> }): Promise<Prometheus> {
    const bin = which('prometheus');
    if (bin === null) throw new Error('prometheus not found');
    const configFile = join(options.dir, 'prometheus.yml');
    await writeFile(configFile, renderPrometheusConfig(options.targets));
    const child = spawn(
      bin,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(options.dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${options.port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const log = createWriteStream(join(options.dir, 'prometheus.log'));
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    const prom = new Prometheus(options.port);
    prom.child = child;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}; see ${join(options.dir, 'prometheus.log')}`);
      const ok = await fetch(`${prom.url}/-/ready`).then((r) => r.ok, () => false);
      if (ok) return prom;
      if (Date.now() > deadline) throw new Error('prometheus was not ready within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Raw `/api/v1/query` answer: `status` "success", or "error" with `errorType` and `error`. */
  async queryRaw(expr: string): Promise<{ status: string; errorType?: string; error?: string; data?: { resultType: string; result: unknown } }> {
    const response = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await response.json()) as { status: string; errorType?: string; error?: string; data?: { resultType: string; result: unknown } };
  }

  /** An instant vector query's samples; throws on a query error. */
  async query(expr: string): Promise<Sample[]> {
    const answer = await this.queryRaw(expr);
    if (answer.status !== 'success' || answer.data === undefined) throw new Error(`query ${expr}: ${answer.errorType}: ${answer.error}`);
    if (answer.data.resultType === 'scalar') {
      const [, value] = answer.data.result as [number, string];
      return [{ labels: {}, value: Number(value) }];
    }
    return (answer.data.result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((r) => ({
      labels: r.metric,
      value: Number(r.value[1]),
    }));
  }

  /** The single value of `expr`, or null when it returns nothing. */
  async scalar(expr: string): Promise<number | null> {
    const samples = await this.query(expr);
    return samples[0]?.value ?? null;
  }

  /** Rule groups as Prometheus loaded them, with each rule's health. */
  async rules(): Promise<Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string }> }>> {
    const response = await fetch(`${this.url}/api/v1/rules`);
    const body = (await response.json()) as { data: { groups: Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    return body.data.groups;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
