/**
 * The heartbeat's judgement of one socket, as a pure function. A socket that has not
 * answered the previous ping is gone (half-open TCP). A socket paused by backpressure cannot
 * read its pong (it sits behind the audio we are not reading), so it is judged by progress
 * instead: exempt while its session still sends results, dropped once it has been paused
 * with no result for `MAX_STALLED_BEATS` heartbeats in a row — paused is never a licence
 * to live for ever.
 */
export type HeartbeatVerdict = 'ping' | 'exempt' | 'drop_dead' | 'drop_stalled';

/**
 * Heartbeats in a row at which a socket is paused and no result was sent since the previous
 * one before it is dropped: at least two whole intervals without progress (the first such
 * beat may come just after the pause began).
 */
export const MAX_STALLED_BEATS = 3;

export interface SocketBeat {
  /** Whether the socket answered the previous ping (or is new). */
  answered: boolean;
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

export function heartbeatVerdict(beat: SocketBeat): HeartbeatVerdict {
  if (beat.paused) return stalledBeats(beat) >= MAX_STALLED_BEATS ? 'drop_stalled' : 'exempt';
  return beat.answered ? 'ping' : 'drop_dead';
}
