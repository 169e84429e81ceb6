/**
 * Alert rules (server config `alertRules`, env SER_ALERT_RULES as JSON): when a channel's
 * smoothed probability of one label holds at or above `threshold` for `forMs` of stream
 * time, the session and its watchers get `{"type":"alert","state":"raised",…}`; once it
 * holds below `release` for `clearForMs`, `"cleared"`. Two levels and two hold times are
 * the hysteresis: one loud second neither raises nor clears an alert.
 */

export interface AlertRule {
  /** Name shown in alerts, 1–64 characters, unique. */
  name: string;
  /** The model label watched (e.g. "angry"); must be one of the served model's labels. */
  label: string;
  /**
   * Which channel: its index (0-based) or its `channelLabel` (e.g. "caller"); omitted = every
   * channel, each on its own. A mixed (mono) stream is channel 0.
   */
  channel?: number | string;
  /** Raise at smoothed probability ≥ this. In (0, 1]. */
  threshold: number;
  /** How long the probability must hold at/above `threshold` before raising, ms of stream time. 0–3600000, default 5000. */
  forMs?: number;
  /** Clear below this probability. In [0, threshold], default max(0, threshold − 0.1). */
  release?: number;
  /** How long it must stay below `release` before clearing, ms of stream time. 0–3600000, default 2000. */
  clearForMs?: number;
}

/** A rule with its defaults filled in. */
export type ResolvedAlertRule = Required<Omit<AlertRule, 'channel'>> & Pick<AlertRule, 'channel'>;

export const DEFAULT_ALERT_FOR_MS = 5_000;
export const DEFAULT_ALERT_CLEAR_FOR_MS = 2_000;
/** Default gap between `threshold` and `release`. */
export const DEFAULT_ALERT_RELEASE_GAP = 0.1;
const MAX_HOLD_MS = 3_600_000;
const MAX_RULES = 32;

function fail(index: number, what: string, value: unknown): never {
  throw new RangeError(`alertRules[${index}].${what}, got ${JSON.stringify(value)}`);
}

/**
 * Validates the rules (and, when `labels` is given, that each watches one of them); fills
 * the defaults. Throws RangeError "alertRules[i].field: expected X, got Y".
 */
export function resolveAlertRules(rules: unknown, labels?: readonly string[]): ResolvedAlertRule[] {
  if (!Array.isArray(rules) || rules.length > MAX_RULES) throw new RangeError(`alertRules: expected a list of at most ${MAX_RULES} rules`);
  const names = new Set<string>();
  return rules.map((raw: unknown, i) => {
    if (typeof raw !== 'object' || raw === null) fail(i, 'rule: expected an object', raw);
    const r = raw as Record<string, unknown>;
    if (typeof r.name !== 'string' || r.name.length === 0 || r.name.length > 64 || names.has(r.name)) {
      fail(i, 'name: expected a unique string of 1–64 characters', r.name);
    }
    names.add(r.name);
    if (typeof r.label !== 'string' || (labels !== undefined && !labels.includes(r.label))) {
      fail(i, `label: expected one of the model's labels${labels ? ` (${labels.join(', ')})` : ''}`, r.label);
    }
    const ch = r.channel;
    if (!(ch === undefined || (typeof ch === 'number' && Number.isInteger(ch) && ch >= 0 && ch < 2) || (typeof ch === 'string' && ch !== ''))) {
      fail(i, 'channel: expected a channel index (0 or 1) or a channel label', ch);
    }
    const threshold = r.threshold;
    if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) fail(i, 'threshold: expected a number in (0, 1]', threshold);
    const hold = (field: 'forMs' | 'clearForMs', fallback: number): number => {
      const v = r[field] ?? fallback;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_HOLD_MS) fail(i, `${field}: expected ms in 0–${MAX_HOLD_MS}`, r[field]);
      return v;
    };
    const release = r.release ?? Math.max(0, threshold - DEFAULT_ALERT_RELEASE_GAP);
    if (typeof release !== 'number' || !(release >= 0 && release <= threshold)) fail(i, `release: expected a number in [0, ${threshold}]`, r.release);
    const rule: ResolvedAlertRule = {
      name: r.name as string,
      label: r.label as string,
      threshold,
      forMs: hold('forMs', DEFAULT_ALERT_FOR_MS),
      release,
      clearForMs: hold('clearForMs', DEFAULT_ALERT_CLEAR_FOR_MS),
    };
    if (ch !== undefined) rule.channel = ch as number | string;
    return rule;
  });
}

/** SER_ALERT_RULES: a JSON list of rules. */
export function parseAlertRules(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new RangeError(`alertRules: expected a JSON list of rules, got ${JSON.stringify(raw.slice(0, 80))}`);
  }
}
