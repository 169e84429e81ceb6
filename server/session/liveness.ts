/**
 * The heartbeat's judgement of one socket, as a pure function. Every socket is pinged, paused
 * or not; the pong proves the peer read everything sent before the ping (one ordered stream).
 *
 * - A socket that was never paused since its ping and has not answered by the next beat is
 *   gone (half-open TCP, or a peer that stopped reading): `drop_dead`.
 * - A socket that backpressure paused meanwhile may hold the pong behind audio we have not
 *   read yet, so it gets `pausedPongTimeoutMs` (config); still no pong then, the peer is not
 *   reading what we send (or queues many minutes of audio ahead of real time): `drop_unread`,
 *   which the session ends with `slow_consumer`. Paused is never a licence to live for ever.
 * - Paused with no result sent for `MAX_STALLED_BEATS` beats in a row: `drop_stalled`.
 */
export type HeartbeatVerdict = 'ping' | 'wait' | 'drop_dead' | 'drop_stalled' | 'drop_unread';

/**
 * Heartbeats in a row at which a socket is paused and no result was sent since the previous
 * one before it is dropped: at least two whole intervals without progress (the first such
 * beat may come just after the pause began).
 */
export const MAX_STALLED_BEATS = 3;

export interface SocketBeat {
  /** Whether the socket answered its last ping (or was never pinged). */
  answered: boolean;
  /** Time since the unanswered ping was sent, ms (0 when answered). */
  unansweredMs: number;
  /** Whether reading was paused by backpressure at any moment since the last ping (or now). */
  pausedSincePing: boolean;
  /** Whether reading is paused by backpressure now. */
  paused: boolean;
  /** Whether its session sent a result since the previous heartbeat. */
  progressed: boolean;
  /** Stalled beats in a row before this one (see `stalledBeats`). */
  stalledBefore: number;
}

/** Stalled beats in a row counting this one: paused with no progress, else 0. */
export function stalledBeats(beat: SocketBeat): number {
  return beat.paused && !beat.progressed ? beat.stalledBefore + 1 : 0;
}

/** The verdict; `pausedPongTimeoutMs`: how long a socket paused since its ping may leave it unanswered. */
export function heartbeatVerdict(beat: SocketBeat, pausedPongTimeoutMs: number): HeartbeatVerdict {
  if (stalledBeats(beat) >= MAX_STALLED_BEATS) return 'drop_stalled';
  if (beat.answered) return 'ping';
  if (!beat.pausedSincePing) return 'drop_dead';
  return beat.unansweredMs >= pausedPongTimeoutMs ? 'drop_unread' : 'wait';
}
