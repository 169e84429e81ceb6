/**
 * What sessions and routes need for watching and alerts, built once at start-up: the
 * registry of watchable sessions and the alert rules, validated against the served
 * model's labels (a rule on a label the model lacks is a start-up error, not a silent no-op).
 */
import { resolveAlertRules, type ResolvedAlertRule } from '../alerts/rules.js';
import type { ServerConfig } from '../config.js';
import type { ServerMetrics } from '../metrics.js';
import { WatchRegistry } from './registry.js';

export interface WatchContext {
  watch: WatchRegistry;
  alertRules: readonly ResolvedAlertRule[];
}

export function watchContext(config: ServerConfig, labels: readonly string[], metrics: ServerMetrics): WatchContext {
  return {
    watch: new WatchRegistry(
      { historyMessages: config.watchHistoryMessages, maxWatchers: config.maxWatchersPerSession },
      (reason) => metrics.watchersDropped.inc({ reason }),
    ),
    alertRules: resolveAlertRules(config.alertRules, labels),
  };
}
