/**
 * One session's alert state: per rule and channel, whether the alert is raised and since
 * when the probability has been on the other side of its level. Stream time (the hops'
 * bounds) is the clock, never timers, so a file streamed faster than real time raises
 * the same alerts at the same `atMs` as a live call.
 */
import type { AlertMessage, EmotionMessage } from '../../shared/protocol.js';
import type { ResolvedAlertRule } from './rules.js';

interface RuleState {
  raised: boolean;
  /** Start of the current run on the far side of the level (above threshold / below release), ms; null when none. */
  sinceMs: number | null;
}

export class AlertTracker {
  /** Key `${ruleIndex}:${channel}`; at most rules × channels entries. */
  private readonly states = new Map<string, RuleState>();

  constructor(private readonly rules: readonly ResolvedAlertRule[]) {}

  /** Whether any rule is configured (a session without rules skips the work). */
  get active(): boolean {
    return this.rules.length > 0;
  }

  /** One result (its hop ends at `hopEndMs`) → the alerts it raises or clears. */
  push(message: EmotionMessage, hopEndMs: number): AlertMessage[] {
    const channel = message.channel ?? 0;
    const out: AlertMessage[] = [];
    this.rules.forEach((rule, index) => {
      if (!matches(rule, channel, message.channelLabel)) return;
      const key = `${index}:${channel}`;
      const state = this.states.get(key) ?? { raised: false, sinceMs: null };
      this.states.set(key, state);
      const value = message.probs[rule.label] ?? 0;
      const beyond = state.raised ? value < rule.release : value >= rule.threshold;
      if (!beyond) {
        state.sinceMs = null;
        return;
      }
      state.sinceMs ??= message.startMs;
      if (hopEndMs - state.sinceMs < (state.raised ? rule.clearForMs : rule.forMs)) return;
      state.raised = !state.raised;
      state.sinceMs = null;
      const alert: AlertMessage = {
        type: 'alert',
        rule: rule.name,
        state: state.raised ? 'raised' : 'cleared',
        label: rule.label,
        value,
        atMs: Math.round(hopEndMs * 1e6) / 1e6,
      };
      if (message.channel !== undefined) alert.channel = message.channel;
      if (message.channelLabel !== undefined) alert.channelLabel = message.channelLabel;
      out.push(alert);
    });
    return out;
  }
}

function matches(rule: ResolvedAlertRule, channel: number, channelLabel: string | undefined): boolean {
  if (rule.channel === undefined) return true;
  return typeof rule.channel === 'number' ? rule.channel === channel : rule.channel === channelLabel;
}
