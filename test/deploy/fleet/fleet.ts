/**
 * Three replicas on loopback behind the real HAProxy, with the real Prometheus scraping
 * each of them: the smallest fleet, as real processes on one machine.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../loadtest/server_process.js';
import { testModelDir, until } from '../../helpers/server.js';
import { Haproxy } from './haproxy.js';
import { Prometheus } from './prometheus.js';
import { Replica } from './replica.js';

/** HAProxy polls /readyz this often (fall 2, rise 2: deploy/haproxy/haproxy.cfg). */
export const CHECK_INTERVAL_MS = 500;
/**
 * Replicas stay admitting this long after SIGTERM while /readyz answers 503: several times
 * HAProxy's `inter × fall` (1 s), so even a starved machine marks them down first.
 */
export const DRAIN_DELAY_MS = 4000;

export interface Fleet {
  dir: string;
  replicas: Replica[];
  lb: Haproxy;
  prometheus: Prometheus;
  stop(): Promise<void>;
}

export async function startFleet(size = 3): Promise<Fleet> {
  const dir = await mkdtemp(join(tmpdir(), 'ser-fleet-'));
  const modelDir = await testModelDir();
  const replicas: Replica[] = [];
  for (let i = 1; i <= size; i++) {
    replicas.push(
      new Replica({
        name: `ser${i}`,
        port: await freePort(),
        modelDir,
        // One worker each: three replicas share this machine's cores.
        args: ['--workers', '1', '--drain-delay-ms', String(DRAIN_DELAY_MS), '--drain-grace-ms', '20000', '--log-level', 'info'],
        logFile: join(dir, `ser${i}.log`),
      }),
    );
  }
  const targets = replicas.map((r) => ({ name: r.name, address: `127.0.0.1:${r.options.port}` }));
  const stopAll = async (lb: Haproxy | null, prometheus: Prometheus | null): Promise<void> => {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    await lb?.stop();
    await prometheus?.stop();
  };
  let lb: Haproxy | null = null;
  let prometheus: Prometheus | null = null;
  try {
    await Promise.all(replicas.map((r) => r.start()));
    lb = await Haproxy.start({ dir, port: await freePort(), statsPort: await freePort(), servers: targets, checkInterval: `${CHECK_INTERVAL_MS}ms` });
    prometheus = await Prometheus.start({ dir, port: await freePort(), targets });
    const balancer = lb;
    await until('HAProxy to mark every replica UP', async () => [...(await balancer.servers()).values()].every((s) => s.status === 'UP'), 30_000);
    const prom = prometheus;
    await until('Prometheus to scrape every replica', async () => (await prom.scalar('count(up{job="ser"} == 1)')) === size, 30_000);
  } catch (err) {
    await stopAll(lb, prometheus);
    throw new Error(`${(err as Error).message} (logs in ${dir})`);
  }
  const started = { lb, prometheus };
  return {
    dir,
    replicas,
    lb: started.lb,
    prometheus: started.prometheus,
    stop: () => stopAll(started.lb, started.prometheus),
  };
}
