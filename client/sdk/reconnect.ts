/** Auto-reconnect policy: exponential back-off with a bounded number of attempts per outage. */

export interface ReconnectOptions {
  /** Attempts per outage before the client fails, integer 1–100. Default 5. */
  maxAttempts?: number;
  /** Back-off before the first attempt, ms, 0–60000. Default 250. Doubles each attempt. */
  initialDelayMs?: number;
  /** Upper bound of the back-off, ms, ≥ initialDelayMs, ≤ 60000. Default 5000. */
  maxDelayMs?: number;
}

export type ReconnectPolicy = Required<ReconnectOptions>;

export const DEFAULT_RECONNECT: ReconnectPolicy = { maxAttempts: 5, initialDelayMs: 250, maxDelayMs: 5000 };

/** `false`/undefined → null (no reconnect); `true` → defaults; an object → validated policy. */
export function resolveReconnect(option: boolean | ReconnectOptions | undefined): ReconnectPolicy | null {
  if (option === undefined || option === false) return null;
  const policy: ReconnectPolicy = { ...DEFAULT_RECONNECT, ...(option === true ? {} : option) };
  const check = (name: keyof ReconnectPolicy, min: number, max: number): void => {
    const value = policy[name];
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new RangeError(`reconnect.${name}: expected ${min}–${max}, got ${value}`);
    }
  };
  check('maxAttempts', 1, 100);
  check('initialDelayMs', 0, 60_000);
  check('maxDelayMs', policy.initialDelayMs, 60_000);
  if (!Number.isInteger(policy.maxAttempts)) {
    throw new RangeError(`reconnect.maxAttempts: expected an integer, got ${policy.maxAttempts}`);
  }
  return policy;
}

/** Back-off before attempt `attempt` (1-based), ms. */
export function backoffMs(policy: ReconnectPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
}
