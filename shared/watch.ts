/**
 * Watching a session from elsewhere (a supervisor's wallboard, an agent's desktop):
 * `GET /v1/sessions` lists live sessions, `GET /v1/sessions/{id}/events` streams one
 * session's messages as Server-Sent Events. Shared by the server, the SDK and pages.
 * Documented for humans in docs/protocol.md ("Watching sessions").
 */
import type { AlertMessage, ChannelMode, EmotionMessage, ErrorMessage, NoticeMessage, SummaryMessage } from './protocol.js';

/** One channel's latest state, as the session's last result on it said. */
export interface ChannelState {
  channel: number;
  channelLabel?: string;
  /** Null until the channel's first result. */
  top: string | null;
  confidence: number | null;
  arousal: number | null;
  valence: number | null;
  voiced: boolean;
  /** Stream time of that result's end, ms. */
  atMs: number;
}

/** A live session as `GET /v1/sessions` lists it. */
export interface SessionInfo {
  id: string;
  /** Where the audio comes from: the stream protocol or a telephony ingest. */
  source: 'stream' | 'twilio';
  /** Ids of the call elsewhere (`externalIds` of `start`; Twilio: streamSid, callSid, custom parameters). */
  externalIds: Record<string, string>;
  channelMode: ChannelMode;
  /** Analysed channels: 1 with 'mix', the channel count with 'separate'. */
  channels: ChannelState[];
  /** Wall-clock start (ISO 8601). */
  startedAt: string;
  /** Watchers subscribed now. */
  watchers: number;
}

/** `GET /v1/sessions` answer. */
export interface SessionList {
  sessions: SessionInfo[];
}

/** First event of a watch stream: what is being watched and how much history follows. */
export interface WatchingMessage {
  type: 'watching';
  session: SessionInfo;
  /** Messages replayed right after this one (the most recent, oldest first). */
  replayed: number;
}

/** Last event of a watch stream when the session ended (after its summary, if it had one). */
export interface SessionEndedMessage {
  type: 'ended';
  /** 'completed', 'client_closed', 'shutdown' or 'error'. */
  outcome: string;
}

/** What a watcher receives: the session's own messages, framed by watching/ended. */
export type WatchMessage = WatchingMessage | EmotionMessage | SummaryMessage | AlertMessage | NoticeMessage | SessionEndedMessage | ErrorMessage;

export const sessionEventsPath = (sessionId: string): string => `/v1/sessions/${encodeURIComponent(sessionId)}/events`;
