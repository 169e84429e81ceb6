/**
 * `startServer`: one process, one port — express for HTTP, ws for `/v1/stream`, an
 * inference worker pool for the model. Tests, the CLI and the load generator all start the
 * server through here (`port: 0` picks an ephemeral port).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerConfig } from './config.js';
import { resolveConfig } from './config_resolve.js';
import { createHttpApp } from './http_app.js';
import { createLogger } from './logger.js';
import { Shutdown } from './drain.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { InferencePool } from './workers/batcher.js';
import { SessionRegistry } from './session/registry.js';
import { watchContext } from './watch/context.js';
import { attachStreamServer } from './ws_server.js';

export interface RunningServer {
  /** http://127.0.0.1:port (or the bound host when it is not a wildcard). */
  url: string;
  /** ws://…/v1/stream */
  wsUrl: string;
  port: number;
  /** The validated configuration in force. */
  config: ServerConfig;
  /** Model id and labels being served. */
  model: { id: string; labels: string[] };
  /**
   * Turns /readyz 503 and keeps admitting for `drainDelayMs` (default 0), then stops
   * accepting sessions (new ones get `shutting_down`), lets live sessions finish the audio
   * they sent (final result + summary, close 1001) within `drainGraceMs`, then closes what
   * is left with `shutting_down` (server/drain.ts).
   */
  drain(): Promise<void>;
  /** Closes everything now (live sessions get `shutting_down`), then releases the port and workers. */
  close(): Promise<void>;
  /**
   * Live tfjs tensors and open stream states in the workers, and streams whose results the
   * main thread still awaits (the leak check).
   */
  modelStats(): Promise<{ numTensors: number; sessions: number; inFlight: number }>;
  /** Test hook: kills inference worker `index` as a crash would; resolves when it is replaced. */
  crashInferenceWorker(index?: number): Promise<void>;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

export async function startServer(partial: Partial<ServerConfig> = {}): Promise<RunningServer> {
  const config = resolveConfig(partial);
  const logger = createLogger(config.logLevel);
  // Metrics exist before the pool so model calls made during start-up are counted too.
  let metrics: ServerMetrics | null = null;
  const pool = await InferencePool.start(
    { modelDir: config.modelDir, narrowbandModelDir: config.narrowbandModelDir, engine: config.engine, mode: config.mode, maxBatchStreams: config.maxBatchStreams, batchWindowMs: config.batchWindowMs },
    config.workers,
    {
      onModelCall: (streams, seconds) => {
        metrics?.inferenceBatchSize.observe(streams);
        metrics?.inferenceDuration.observe(seconds);
        metrics?.recordProcessing(0, seconds);
      },
      onDsp: (audioSeconds, seconds) => {
        metrics?.featureExtractionDuration.observe(seconds);
        metrics?.recordProcessing(audioSeconds, seconds);
      },
      onWorkerRestart: (index, reason) => {
        metrics?.workerRestarts.inc();
        logger.error('inference worker crashed; restarting it', { worker: index, reason });
      },
    },
  );
  metrics = createMetrics({
    modelId: pool.model.id,
    narrowbandModelId: pool.model.narrowbandId,
    engine: pool.engine,
    engineSkipped: pool.engineSkipped,
    mode: config.mode,
    maxSessions: config.maxSessions,
    workerStats: () => pool.stats(),
  });
  const registry = new SessionRegistry(config.maxSessions);
  const shutdown = new Shutdown({
    registry,
    logger,
    drainDelayMs: config.drainDelayMs,
    drainGraceMs: config.drainGraceMs,
    onPhase: (phase) => metrics?.draining.set(phase === 'serving' ? 0 : 1),
  });
  const ctx = { config, pool, metrics, logger, registry, isDraining: () => shutdown.draining, ...watchContext(config, pool.model.labels, metrics) };

  const httpServer = createServer(createHttpApp({ ...ctx, isUnready: () => shutdown.unready }));
  const streams = attachStreamServer(httpServer, ctx);
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;
  const host = WILDCARD_HOSTS.has(config.host) ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  logger.info('listening', {
    url,
    port,
    model: pool.model.id,
    narrowbandModel: pool.model.narrowbandId ?? 'none',
    engine: pool.engine,
    mode: config.mode,
    workers: config.workers,
    // Stated at start-up so an operator sees at once whether the server is open.
    auth: config.apiKeys.length > 0 ? `api_keys (${config.apiKeys.length})` : 'none',
    allowedOrigins: config.allowedOrigins.length > 0 ? config.allowedOrigins.join(',') : 'any',
    metrics: config.metricsRequireKey && config.apiKeys.length > 0 ? 'api_key' : 'open',
    // glibc reads it at process start; `npm start` and the image set 2 (docs/configuration.md).
    mallocArenaMax: process.env['MALLOC_ARENA_MAX'] ?? 'unset (glibc default: 8 per core)',
  });
  if (config.apiKeys.length === 0 && !LOOPBACK_HOSTS.has(config.host)) {
    logger.warn('authentication is off on a non-loopback interface: anyone who reaches this port can stream (set SER_API_KEYS)', { host: config.host });
  }

  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      shutdown.stopAdmitting();
      for (const s of registry.all()) s.abort();
      await streams.close();
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
      await pool.close();
      metrics?.stop();
      logger.info('closed');
    })();
    return closed;
  };

  return {
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/v1/stream`,
    port,
    config,
    model: { id: pool.model.id, labels: [...pool.model.labels] },
    drain: () => shutdown.drain(),
    close,
    modelStats: async () => {
      const { numTensors, sessions } = await pool.stats();
      return { numTensors, sessions, inFlight: pool.inFlight };
    },
    crashInferenceWorker: (index = 0) => pool.crashWorker(index),
  };
}
