/**
 * Leaving a fleet without refusing anyone. A replica told to stop goes through three phases:
 *
 *   serving ──drain()──▶ unready ──drainDelayMs──▶ draining ──drainGraceMs──▶ (abort the rest)
 *
 * - `unready`: /readyz answers 503 but new sessions are still admitted and live ones go on.
 *   A load balancer that polls /readyz (HAProxy `inter × fall`, a Kubernetes readiness
 *   probe) needs this long to take the replica out of rotation; a session it still sends
 *   here meanwhile is served, not refused with `shutting_down`.
 * - `draining`: new sessions get `shutting_down`; each live one is finished as if it had
 *   sent `end` (final result, summary, close 1001), within `drainGraceMs`.
 *
 * With `drainDelayMs` 0 (the default) `drain()` goes straight to `draining`, synchronously,
 * as before. Kubernetes gets the same effect from a `preStop` sleep (deploy/k8s).
 */
import type { Logger } from './logger.js';
import type { SessionRegistry } from './session/registry.js';

export type ShutdownPhase = 'serving' | 'unready' | 'draining';

export interface ShutdownOptions {
  registry: SessionRegistry;
  logger: Logger;
  /** Unready but still admitting before the drain begins, ms (ServerConfig.drainDelayMs). */
  drainDelayMs: number;
  /** Time live sessions get to finish their received audio, ms (ServerConfig.drainGraceMs). */
  drainGraceMs: number;
  /** Told of every phase change (the `ser_draining` gauge). */
  onPhase?: (phase: ShutdownPhase) => void;
}

export class Shutdown {
  private current: ShutdownPhase = 'serving';
  private drained: Promise<void> | null = null;

  constructor(private readonly options: ShutdownOptions) {}

  get phase(): ShutdownPhase {
    return this.current;
  }

  /** /readyz must answer 503: the replica is leaving (or has left) the rotation. */
  get unready(): boolean {
    return this.current !== 'serving';
  }

  /** New sessions are refused with `shutting_down`. */
  get draining(): boolean {
    return this.current === 'draining';
  }

  /** Unready → (after drainDelayMs) drain → abort what is left after drainGraceMs. Idempotent. */
  drain(): Promise<void> {
    this.drained ??= this.run();
    return this.drained;
  }

  /** Refuse new sessions from now on (close() without a drain). */
  stopAdmitting(): void {
    this.enter('draining');
  }

  private async run(): Promise<void> {
    const { registry, logger, drainDelayMs, drainGraceMs } = this.options;
    if (drainDelayMs > 0) {
      this.enter('unready');
      logger.info('unready; admitting sessions until the drain delay ends', { sessions: registry.size, delayMs: drainDelayMs });
      await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
    }
    this.enter('draining');
    const live = registry.all();
    logger.info('draining', { sessions: live.length, graceMs: drainGraceMs });
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, drainGraceMs);
    });
    await Promise.race([Promise.all(live.map((s) => s.drain())), grace]);
    clearTimeout(timer);
    for (const s of registry.all()) s.abort();
  }

  private enter(phase: ShutdownPhase): void {
    if (this.current === phase || this.current === 'draining') return;
    this.current = phase;
    this.options.onPhase?.(phase);
  }
}
