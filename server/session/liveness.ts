/**
 * The heartbeat's judgement of one socket, as a pure function. A socket that has not
 * answered the previous ping is gone (half-open TCP). A socket paused by backpressure cannot
 * read its pong (it sits behind the audio we are not reading), so it is judged by progress
 * instead: exempt while its session still sends results, dropped after a whole interval
 * paused with none — paused is never a licence to live for ever.
 */
export type HeartbeatVerdict = 'ping' | 'exempt' | 'drop_dead' | 'drop_stalled';

export interface SocketBeat {
  /** Whether the socket answered the previous ping (or is new). */
  answered: boolean;
  /** Whether reading is paused by backpressure now. */
  paused: boolean;
  /** Results sent to it since the previous heartbeat. */
  resultsSinceLastBeat: number;
  /** Whether it was already paused at the previous heartbeat. */
  wasPaused: boolean;
}

export function heartbeatVerdict(beat: SocketBeat): HeartbeatVerdict {
  if (beat.paused) {
    // Paused across a whole interval with nothing sent: the session is stuck behind a client
    // (or a pipeline) that moves nothing. A socket paused only since this interval began gets
    // the benefit of the doubt once.
    if (beat.wasPaused && beat.resultsSinceLastBeat === 0) return 'drop_stalled';
    return 'exempt';
  }
  return beat.answered ? 'ping' : 'drop_dead';
}
