/**
 * The live sessions watchers can find: `GET /v1/sessions` lists them, `…/{id}/events`
 * subscribes to one. Sessions add themselves once started and remove themselves when they
 * end; the registry holds nothing else.
 */
import type { SessionInfo } from '../../shared/watch.js';
import { WatchedSession, type WatchLimits, type WatchedSessionInit } from './watched_session.js';

export class WatchRegistry {
  private readonly sessions = new Map<string, WatchedSession>();

  constructor(
    private readonly limits: WatchLimits,
    private readonly onDrop: (reason: 'slow_consumer') => void = () => undefined,
  ) {}

  /** Registers a started session; returns its handle for publishing. */
  open(init: WatchedSessionInit): WatchedSession {
    const watched = new WatchedSession(init, this.limits, this.onDrop);
    this.sessions.set(init.id, watched);
    return watched;
  }

  /** Ends the session's watch streams and forgets it. */
  close(id: string, outcome: string): void {
    this.sessions.get(id)?.end(outcome);
    this.sessions.delete(id);
  }

  get(id: string): WatchedSession | undefined {
    return this.sessions.get(id);
  }

  /** Live sessions, oldest first; with `filter`, those whose externalIds hold every given pair. */
  list(filter: Record<string, string> = {}): SessionInfo[] {
    const wanted = Object.entries(filter);
    const out: SessionInfo[] = [];
    for (const watched of this.sessions.values()) {
      const ids = watched.init.externalIds;
      if (wanted.every(([k, v]) => ids[k] === v)) out.push(watched.info());
    }
    return out;
  }

  /** Watchers subscribed across sessions (the ser_watchers_active gauge). */
  get watcherCount(): number {
    let n = 0;
    for (const watched of this.sessions.values()) n += watched.watcherCount;
    return n;
  }
}
