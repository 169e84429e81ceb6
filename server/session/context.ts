/** What every session of a server shares: loaded once, read by each session and its streaming state. */
import type { ResolvedAlertRule } from '../alerts/rules.js';
import type { ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import type { InferencePool } from '../workers/batcher.js';
import type { WatchRegistry } from '../watch/registry.js';
import type { SessionRegistry } from './registry.js';

export interface SessionContext {
  config: ServerConfig;
  pool: InferencePool;
  metrics: ServerMetrics;
  logger: Logger;
  registry: SessionRegistry;
  /** Live sessions as watchers find them (server/watch/). */
  watch: WatchRegistry;
  /** The configured alert rules, validated against the model's labels. */
  alertRules: readonly ResolvedAlertRule[];
}
