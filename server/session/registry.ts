/**
 * The set of live streams (WebSocket sessions and running analyses): enforces maxSessions
 * and lets a drain reach every one of them.
 */
export interface Drainable {
  /** Finishes the stream's received audio and closes it; resolves once it is closed. */
  drain(): Promise<void>;
  /** Closes now with `shutting_down` (after the grace period). */
  abort(): void;
}

export class SessionRegistry {
  private readonly live = new Set<Drainable>();

  constructor(private readonly maxSessions: number) {}

  get size(): number {
    return this.live.size;
  }

  get capacityLeft(): number {
    return Math.max(0, this.maxSessions - this.live.size);
  }

  /** Adds `stream` unless the server is full. */
  tryAdd(stream: Drainable): boolean {
    if (this.live.size >= this.maxSessions) return false;
    this.live.add(stream);
    return true;
  }

  remove(stream: Drainable): void {
    this.live.delete(stream);
  }

  all(): Drainable[] {
    return [...this.live];
  }
}
