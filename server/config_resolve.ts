/**
 * Validates a configuration once, at start-up: the defaults (config.ts) overlaid with what
 * was given, each field checked against its range (config_checks.ts).
 */
import { MAX_HOP_MS, MAX_SMOOTHING, MIN_HOP_MS } from '../shared/protocol.js';
import { BACKLOG_POLICIES, DEFAULT_CONFIG, ENGINE_CHOICES, LOG_LEVELS, MODES, type ServerConfig } from './config.js';
import { checkChoice, checkInt, checkNumber } from './config_checks.js';
import { validateWatchConfig } from './config_watch.js';

/** Defaults overlaid with `partial`, validated. Throws RangeError naming the first bad field. */
export function resolveConfig(partial: Partial<ServerConfig> = {}): ServerConfig {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const config: ServerConfig = { ...DEFAULT_CONFIG, ...defined };
  checkInt('port', config.port, 0, 65_535);
  if (typeof config.host !== 'string' || config.host === '') {
    throw new RangeError(`host: expected a non-empty string, got ${JSON.stringify(config.host)}`);
  }
  if (typeof config.modelDir !== 'string' || config.modelDir === '') {
    throw new RangeError(`modelDir: expected a directory path, got ${JSON.stringify(config.modelDir)}`);
  }
  if (config.narrowbandModelDir !== null && (typeof config.narrowbandModelDir !== 'string' || config.narrowbandModelDir === '')) {
    throw new RangeError(`narrowbandModelDir: expected a directory path or null (none), got ${JSON.stringify(config.narrowbandModelDir)}`);
  }
  checkChoice('engine', config.engine, ENGINE_CHOICES);
  checkChoice('mode', config.mode, MODES);
  checkInt('workers', config.workers, 1, 16);
  checkInt('maxSessions', config.maxSessions, 1, 100_000);
  checkInt('maxMessageBytes', config.maxMessageBytes, 1024, 64 * 1024 * 1024);
  checkInt('maxAnalyzeBytes', config.maxAnalyzeBytes, 1024, 1024 * 1024 * 1024);
  checkNumber('maxBacklogSeconds', config.maxBacklogSeconds, 0.5, 600);
  checkChoice('backlogPolicy', config.backlogPolicy, BACKLOG_POLICIES);
  checkInt('defaultHopMs', config.defaultHopMs, MIN_HOP_MS, MAX_HOP_MS);
  checkNumber('defaultSmoothing', config.defaultSmoothing, 0, MAX_SMOOTHING);
  if (!Array.isArray(config.apiKeys) || config.apiKeys.some((k) => typeof k !== 'string' || k === '')) {
    throw new RangeError('apiKeys: expected a list of non-empty strings');
  }
  if (typeof config.metricsRequireKey !== 'boolean') {
    throw new RangeError(`metricsRequireKey: expected true or false, got ${JSON.stringify(config.metricsRequireKey)}`);
  }
  if (!Array.isArray(config.allowedOrigins)) {
    throw new RangeError('allowedOrigins: expected a list of origins');
  }
  checkChoice('logLevel', config.logLevel, LOG_LEVELS);
  checkInt('heartbeatMs', config.heartbeatMs, 100, 600_000);
  checkInt('pausedPongTimeoutMs', config.pausedPongTimeoutMs, 100, 3_600_000);
  checkInt('startTimeoutMs', config.startTimeoutMs, 100, 600_000);
  checkInt('idleTimeoutMs', config.idleTimeoutMs, 100, 3_600_000);
  checkNumber('maxSessionSeconds', config.maxSessionSeconds, 1, 604_800);
  checkInt('maxUnsentBytes', config.maxUnsentBytes, 16_384, 64 * 1024 * 1024);
  checkNumber('maxRealTimeMultiple', config.maxRealTimeMultiple, 1, 10_000);
  checkInt('maxConcurrentAnalyses', config.maxConcurrentAnalyses, 1, 1024);
  checkInt('drainGraceMs', config.drainGraceMs, 0, 600_000);
  checkInt('drainDelayMs', config.drainDelayMs, 0, 600_000);
  checkInt('maxBatchStreams', config.maxBatchStreams, 1, 1024);
  checkNumber('batchWindowMs', config.batchWindowMs, 0, 100);
  validateWatchConfig(config);
  return config;
}
