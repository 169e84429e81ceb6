/**
 * What a session says, built from its results: `ready`, each result's `emotion` message
 * and the alerts it raises or clears, and the `summary` (per channel with channelMode
 * 'separate'). Pure bookkeeping, constant memory per result beyond the summary segments.
 */
import { PROTOCOL_VERSION, type ReadyMessage, type ServerMessage, type SummaryMessage } from '../../shared/protocol.js';
import { AlertTracker } from '../alerts/tracker.js';
import type { ResolvedAlertRule } from '../alerts/rules.js';
import type { ServerMetrics } from '../metrics.js';
import type { WatchedSessionInit } from '../watch/watched_session.js';
import type { ChannelResult } from '../pipeline/channels.js';
import { ChannelSummaries } from './channel_summary.js';
import type { StreamFormat } from './start.js';

export class SessionOutputs {
  private readonly summaries: ChannelSummaries;
  private readonly alerts: AlertTracker;

  constructor(
    private readonly model: { id: string; labels: readonly string[] },
    private readonly format: StreamFormat,
    rules: readonly ResolvedAlertRule[],
    private readonly metrics: ServerMetrics,
  ) {
    const separate = format.channelMode === 'separate';
    this.summaries = new ChannelSummaries(model.labels, separate ? format.channels : 0, format.channelLabels);
    this.alerts = new AlertTracker(rules);
  }

  ready(sessionId: string): ReadyMessage {
    const { format } = this;
    const ready: ReadyMessage = {
      type: 'ready',
      sessionId,
      protocol: PROTOCOL_VERSION,
      model: { id: this.model.id, labels: [...this.model.labels] },
      hopMs: format.hopMs,
      smoothing: format.smoothing,
    };
    if (format.channelMode === 'separate') {
      ready.channelMode = 'separate';
      ready.channels = format.channels;
      if (format.channelLabels !== undefined) ready.channelLabels = [...format.channelLabels];
    }
    return ready;
  }

  /** How watchers see this session (server/watch/). */
  watchInit(id: string, source: WatchedSessionInit['source']): WatchedSessionInit {
    const { format } = this;
    const separate = format.channelMode === 'separate';
    return {
      id,
      source,
      externalIds: format.externalIds,
      channelMode: format.channelMode,
      channels: separate ? format.channels : 1,
      channelLabels: format.channelLabels,
    };
  }

  /** One result → the messages to send for it: its `emotion`, then any alerts. */
  messagesFor(result: ChannelResult): ServerMessage[] {
    this.summaries.push(result.message, result.hopEndMs);
    if (!this.alerts.active) return [result.message];
    const alerts = this.alerts.push(result.message, result.hopEndMs);
    for (const alert of alerts) this.metrics.alerts.inc({ state: alert.state });
    return [result.message, ...alerts];
  }

  summary(): SummaryMessage {
    return this.summaries.build();
  }
}
