/**
 * One server replica as a real process (`node --import tsx server/main.ts`, as `npm start`
 * runs it) on a fixed loopback port, so a restarted replica comes back where the balancer
 * and Prometheus expect it. Its log (JSON lines) goes to a file for post-mortems.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { REPO_ROOT } from './tools.js';

export interface ReplicaOptions {
  /** Name the balancer knows it by (HAProxy `server` name), e.g. `ser1`. */
  name: string;
  port: number;
  modelDir: string;
  /** Extra server flags (`--drain-delay-ms`, …). */
  args: readonly string[];
  /** File that receives the process's stdout and stderr. */
  logFile: string;
}

export class Replica {
  private child: ChildProcess | null = null;
  private exitedPromise: Promise<number | null> = Promise.resolve(null);

  constructor(readonly options: ReplicaOptions) {}

  get name(): string {
    return this.options.name;
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and resolves once /readyz answers 200 (model loaded, workers up). */
  async start(timeoutMs = 120_000): Promise<void> {
    const { port, modelDir, args, logFile } = this.options;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'server/main.ts', '--port', String(port), '--host', '127.0.0.1', '--model', modelDir, ...args],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const log = createWriteStream(logFile, { flags: 'a' });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.child = child;
    this.exitedPromise = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name} exited with ${String(child.exitCode)} before it was ready; see ${logFile}`);
      const status = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      if (Date.now() > deadline) throw new Error(`${this.name} was not ready within ${timeoutMs} ms; see ${logFile}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Sends `signal`; resolves with the exit code (null when killed by the signal). */
  async stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<number | null> {
    if (this.running) this.child?.kill(signal);
    return this.exitedPromise;
  }

  /** Resolves when the process has exited, with its exit code. */
  exited(): Promise<number | null> {
    return this.exitedPromise;
  }
}
