/**
 * What a generator worker drives: the real-time stream of the load test (session.ts) or one
 * of the soak's careless clients (misbehaving_session.ts), chosen by the plan's behavior.
 */
import { MisbehavingSession } from './misbehaving_session.js';
import type { StreamPlan } from './plan.js';
import { StreamSession, type SessionContext } from './session.js';
import type { StreamOutcome } from './types.js';

export interface DrivenSession {
  readonly done: boolean;
  /** Connected and past `ready`, not finished. */
  readonly open: boolean;
  /** The outcome once done, else null. */
  readonly result: StreamOutcome | null;
  /** When the scheduler should next call `pump`, performance.now() ms. */
  nextDueMs(): number;
  pump(nowMs: number): void;
}

/** @param dropTimeoutMs how long a careless client waits for the server to drop it. */
export function createSession(plan: StreamPlan, ctx: SessionContext, runStartMs: number, dropTimeoutMs: number): DrivenSession {
  const behavior = plan.behavior ?? 'stream';
  if (behavior === 'stream') return new StreamSession(plan, ctx, runStartMs);
  return new MisbehavingSession({ ...plan, behavior }, ctx, runStartMs, dropTimeoutMs);
}
