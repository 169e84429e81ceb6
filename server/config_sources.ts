/**
 * Where a configuration comes from: one row per field with its environment variable and CLI
 * flag (docs/configuration.md lists them in this order), read environment first, then flags.
 */
import type { ServerConfig } from './config.js';
import { asBoolean, asList, asNumber, asString } from './config_checks.js';
import { WATCH_CONFIG_SOURCES } from './config_watch.js';

/** One row of the configuration table: the field, its env variable and its CLI flag. */
interface Source {
  field: keyof ServerConfig;
  env: string;
  flag: string;
  parse: (raw: string) => unknown;
  /** Whether an empty environment value counts as set (parsed) rather than unset. */
  emptyIsSet?: boolean;
}

/** Fail closed: a key list that is given but holds no key is an error, never "auth off". */
const asKeyList = (raw: string): string[] => {
  const keys = asList(raw);
  if (keys.length === 0) {
    throw new RangeError(`apiKeys: expected at least one non-empty key (unset the variable to disable auth), got ${JSON.stringify(raw)}`);
  }
  return keys;
};
/** A directory, or `none`: the feature off. */
const asOptionalDir = (raw: string): string | null => (raw.trim().toLowerCase() === 'none' ? null : asString(raw));

/** Env and flag names of every field, in the order of docs/configuration.md. */
export const CONFIG_SOURCES: readonly Source[] = [
  { field: 'port', env: 'PORT', flag: '--port', parse: asNumber },
  { field: 'host', env: 'HOST', flag: '--host', parse: asString },
  { field: 'modelDir', env: 'SER_MODEL_DIR', flag: '--model', parse: asString },
  { field: 'narrowbandModelDir', env: 'SER_NARROWBAND_MODEL_DIR', flag: '--narrowband-model', parse: asOptionalDir },
  { field: 'engine', env: 'SER_ENGINE', flag: '--engine', parse: asString },
  { field: 'mode', env: 'SER_MODE', flag: '--mode', parse: asString },
  { field: 'workers', env: 'SER_WORKERS', flag: '--workers', parse: asNumber },
  { field: 'maxSessions', env: 'SER_MAX_SESSIONS', flag: '--max-sessions', parse: asNumber },
  { field: 'maxMessageBytes', env: 'SER_MAX_MESSAGE_BYTES', flag: '--max-message-bytes', parse: asNumber },
  { field: 'maxAnalyzeBytes', env: 'SER_MAX_ANALYZE_BYTES', flag: '--max-analyze-bytes', parse: asNumber },
  { field: 'maxBacklogSeconds', env: 'SER_MAX_BACKLOG_SECONDS', flag: '--max-backlog-seconds', parse: asNumber },
  { field: 'backlogPolicy', env: 'SER_BACKLOG_POLICY', flag: '--backlog-policy', parse: asString },
  { field: 'defaultHopMs', env: 'SER_HOP_MS', flag: '--hop-ms', parse: asNumber },
  { field: 'defaultSmoothing', env: 'SER_SMOOTHING', flag: '--smoothing', parse: asNumber },
  { field: 'apiKeys', env: 'SER_API_KEYS', flag: '--api-keys', parse: asKeyList, emptyIsSet: true },
  { field: 'metricsRequireKey', env: 'SER_METRICS_REQUIRE_KEY', flag: '--metrics-require-key', parse: asBoolean },
  { field: 'allowedOrigins', env: 'SER_ALLOWED_ORIGINS', flag: '--allowed-origins', parse: asList },
  { field: 'logLevel', env: 'SER_LOG_LEVEL', flag: '--log-level', parse: asString },
  { field: 'heartbeatMs', env: 'SER_HEARTBEAT_MS', flag: '--heartbeat-ms', parse: asNumber },
  { field: 'pausedPongTimeoutMs', env: 'SER_PAUSED_PONG_TIMEOUT_MS', flag: '--paused-pong-timeout-ms', parse: asNumber },
  { field: 'startTimeoutMs', env: 'SER_START_TIMEOUT_MS', flag: '--start-timeout-ms', parse: asNumber },
  { field: 'idleTimeoutMs', env: 'SER_IDLE_TIMEOUT_MS', flag: '--idle-timeout-ms', parse: asNumber },
  { field: 'maxSessionSeconds', env: 'SER_MAX_SESSION_SECONDS', flag: '--max-session-seconds', parse: asNumber },
  { field: 'maxUnsentBytes', env: 'SER_MAX_UNSENT_BYTES', flag: '--max-unsent-bytes', parse: asNumber },
  { field: 'maxRealTimeMultiple', env: 'SER_MAX_REAL_TIME_MULTIPLE', flag: '--max-real-time-multiple', parse: asNumber },
  { field: 'maxConcurrentAnalyses', env: 'SER_MAX_CONCURRENT_ANALYSES', flag: '--max-concurrent-analyses', parse: asNumber },
  { field: 'drainGraceMs', env: 'SER_DRAIN_GRACE_MS', flag: '--drain-grace-ms', parse: asNumber },
  { field: 'drainDelayMs', env: 'SER_DRAIN_DELAY_MS', flag: '--drain-delay-ms', parse: asNumber },
  { field: 'maxBatchStreams', env: 'SER_MAX_BATCH_STREAMS', flag: '--max-batch-streams', parse: asNumber },
  { field: 'batchWindowMs', env: 'SER_BATCH_WINDOW_MS', flag: '--batch-window-ms', parse: asNumber },
  { field: 'staticDir', env: 'SER_STATIC_DIR', flag: '--static-dir', parse: asString },
  ...WATCH_CONFIG_SOURCES,
];

/**
 * Environment first, then flags (`--port 9000` or `--port=9000`), so a flag overrides the
 * environment. Unknown flags throw: a typo should not silently run with defaults.
 */
export function configFromEnvAndArgs(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
): Partial<ServerConfig> {
  const partial: Record<string, unknown> = {};
  for (const source of CONFIG_SOURCES) {
    const raw = env[source.env];
    if (raw !== undefined && (raw !== '' || source.emptyIsSet === true)) partial[source.field] = source.parse(raw);
  }
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const source = CONFIG_SOURCES.find((s) => s.flag === flag);
    if (source === undefined) {
      throw new RangeError(`expected one of the flags in docs/configuration.md, got ${JSON.stringify(arg)}`);
    }
    let raw: string | undefined;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else {
      raw = argv[i + 1];
      i += 1;
    }
    if (raw === undefined) throw new RangeError(`${flag}: expected a value, got nothing`);
    partial[source.field] = source.parse(raw);
  }
  return partial as Partial<ServerConfig>;
}
