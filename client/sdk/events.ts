/** What an EmotionStreamClient emits: protocol v1 messages plus the SDK's own session events. */
import type { AlertMessage, EmotionMessage, NoticeMessage, ReadyMessage, SummaryMessage } from '../../shared/protocol.js';
import type { EmotionStreamError } from './errors.js';

/** An `emotion` message with the latency the client measured for it. */
export interface EmotionResult extends EmotionMessage {
  /**
   * Wall-clock ms from sending the audio that ends at `endMs` to receiving this result
   * (network + queueing + inference); null when it cannot be matched to a send.
   */
  latencyMs: number | null;
}

/** The connection dropped (or the server asked us to retry) and a new session is being opened. */
export interface ReconnectingEvent {
  type: 'reconnecting';
  /** 1 for the first attempt after an outage. */
  attempt: number;
  /** Back-off before this attempt, ms. */
  delayMs: number;
  /** Why the previous session ended. */
  error: EmotionStreamError;
}

/**
 * A new server session replaced a lost one. It is a new session: stream time (`startMs`,
 * `endMs`) and `seq` restart at 0, smoothing state starts afresh, and audio sent while
 * disconnected was not delivered (`droppedBytes`).
 */
export interface ReconnectedEvent {
  type: 'reconnected';
  previousSessionId: string;
  sessionId: string;
  ready: ReadyMessage;
  attempt: number;
  /** Bytes passed to `send` while no session was open; they never reached the server. */
  droppedBytes: number;
}

export type StreamEvent = ReadyMessage | EmotionResult | SummaryMessage | AlertMessage | NoticeMessage | ReconnectingEvent | ReconnectedEvent;

/** Client lifecycle, for status displays. */
export type ClientState =
  | 'idle'
  | 'connecting'
  | 'open'
  | 'starting'
  | 'streaming'
  | 'ending'
  | 'reconnecting'
  | 'closed'
  | 'failed';

export function isEmotionResult(ev: StreamEvent): ev is EmotionResult {
  return ev.type === 'emotion';
}
