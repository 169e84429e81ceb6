/**
 * Protocol v1: every message exchanged on `GET /v1/stream`. Shared by the server, the
 * browser page, the SDK and the load generator. Documented for humans in docs/protocol.md.
 */
import type { ErrorCode } from './error_codes.js';

export const PROTOCOL_VERSION = 1;

export const ENCODINGS = ['pcm_s16le', 'pcm_f32le', 'mulaw', 'alaw'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** Accepted input sample rates, Hz (inclusive). */
export const MIN_SAMPLE_RATE_HZ = 8_000;
export const MAX_SAMPLE_RATE_HZ = 48_000;
/** The model's rate: every stream is resampled to it. */
export const MODEL_SAMPLE_RATE_HZ = 16_000;

/** Result hop, ms: one `emotion` message per hop of stream time. Default 250, range 50–5000. */
export const DEFAULT_HOP_MS = 250;
export const MIN_HOP_MS = 50;
export const MAX_HOP_MS = 5_000;

/**
 * Smoothing factor of the exponential moving average over successive hop distributions,
 * in [0, 1): 0 = no smoothing (each result is the model's latest window), 0.9 = heavy.
 * Default 0.25 (0.5 until v11): the model's own state already integrates the utterance, so
 * less smoothing is more accurate — in v11's CV, live UAR +1.2 / +1.4 points and summary
 * +2.8 / +2.7 (wideband / telephone, higher in 5 of 5 folds), the final answer level, for
 * about 18 % more top-label changes per hop (models/README.md, "Smoothing").
 */
export const DEFAULT_SMOOTHING = 0.25;
export const MAX_SMOOTHING = 0.99;

/**
 * How a stereo stream is analysed: 'mix' (default) averages the channels into one voice;
 * 'separate' runs each channel as its own stream (agent on one, caller on the other).
 */
export const CHANNEL_MODES = ['mix', 'separate'] as const;
export type ChannelMode = (typeof CHANNEL_MODES)[number];
/** Longest channel label, characters; labels are 1–32 printable characters. */
export const MAX_CHANNEL_LABEL_LENGTH = 32;
/** Most external ids a session may carry, and the longest key / value, characters. */
export const MAX_EXTERNAL_IDS = 16;
export const MAX_EXTERNAL_ID_LENGTH = 128;

/** Client → server: declares the audio format. Must precede any binary message. */
export interface StartMessage {
  type: 'start';
  /** Input rate, Hz, 8000–48000. */
  sampleRate: number;
  encoding: Encoding;
  /** 1 or 2; stereo is interleaved and downmixed to mono. */
  channels: 1 | 2;
  /** Optional, ms between results, 50–5000, default 250. */
  hopMs?: number;
  /** Optional, EMA factor in [0, 0.99], default 0.5. */
  smoothing?: number;
  /** Optional, default 'mix'. 'separate': each channel is analysed on its own; results carry `channel`. */
  channelMode?: ChannelMode;
  /** Optional with 'separate': one label per channel (e.g. ["agent", "caller"]), echoed in results. */
  channelLabels?: string[];
  /** Optional: ids of this call in other systems (string values), shown to watchers (`GET /v1/sessions`). */
  externalIds?: Record<string, string>;
}

/** Client → server: no more audio; the server flushes, sends a final result and a summary. */
export interface EndMessage {
  type: 'end';
}

export type ClientMessage = StartMessage | EndMessage;

/** Server → client: the session is open and audio may follow. */
export interface ReadyMessage {
  type: 'ready';
  sessionId: string;
  protocol: typeof PROTOCOL_VERSION;
  model: { id: string; labels: string[] };
  /** The hop actually used, ms. */
  hopMs: number;
  /** The smoothing actually used. */
  smoothing: number;
  /** Present with channelMode 'separate': the mode, the channel count and the labels when given. */
  channelMode?: ChannelMode;
  channels?: number;
  channelLabels?: string[];
}

/** Server → client: one per hop of stream time. */
export interface EmotionMessage {
  type: 'emotion';
  /** 0, 1, 2, … per session. */
  seq: number;
  /** Stream time of the first sample of this hop, ms since the first audio byte. */
  startMs: number;
  /** Stream time of the last sample that contributed to this result, ms. */
  endMs: number;
  /** Rolling, smoothed distribution over the model's labels; sums to 1. */
  probs: Record<string, number>;
  top: string;
  confidence: number;
  /** False over silence; then `probs` decays toward uniform rather than pretending confidence. */
  voiced: boolean;
  /** Derived from `probs` by the fixed map in shared/affect.ts, in [-1, 1]. */
  arousal: number;
  valence: number;
  /** True on the last result of a session, after `end`. */
  final?: boolean;
  /** With channelMode 'separate': the channel (0-based) this result is about; `seq` counts per channel. */
  channel?: number;
  /** With channelMode 'separate' and channelLabels: that channel's label. */
  channelLabel?: string;
}

export interface SummarySegment {
  startMs: number;
  endMs: number;
  /** Dominant label over the segment. */
  label: string;
  /** Mean confidence of that label over the segment. */
  confidence: number;
  /** With channelMode 'separate', in the pooled summary's segments: the segment's channel. */
  channel?: number;
}

/** Server → client: after the final result; then the server closes with 1000. */
export interface SummaryMessage {
  type: 'summary';
  durationMs: number;
  voicedMs: number;
  /** Mean distribution over voiced hops (uniform if none). */
  mean: Record<string, number>;
  dominant: string;
  segments: SummarySegment[];
  /** With channelMode 'separate': one summary per channel; the fields above pool all channels. */
  channels?: ChannelSummary[];
}

/** One channel's summary (channelMode 'separate'). */
export interface ChannelSummary {
  channel: number;
  channelLabel?: string;
  durationMs: number;
  voicedMs: number;
  mean: Record<string, number>;
  dominant: string;
  segments: SummarySegment[];
}

/**
 * Server → client and watchers: a configured alert rule changed state on a channel
 * (`raised` once the smoothed probability held at/above the threshold for the rule's time;
 * `cleared` once it held below the release level for the rule's clear time).
 */
export interface AlertMessage {
  type: 'alert';
  rule: string;
  state: 'raised' | 'cleared';
  label: string;
  /** The smoothed probability of `label` on the hop that changed the state. */
  value: number;
  /** Stream time of the end of that hop, ms. */
  atMs: number;
  channel?: number;
  channelLabel?: string;
}

export interface ErrorMessage {
  type: 'error';
  code: ErrorCode;
  message: string;
  retryable: boolean;
}

/**
 * Stable codes of `notice` messages. `worker_restarted`: the inference worker that held the
 * stream crashed and the stream was resumed on another worker with fresh state.
 */
export const NOTICE_CODES = ['worker_restarted'] as const;
export type NoticeCode = (typeof NOTICE_CODES)[number];

/**
 * Server → client and watchers: something happened that the client may want to know, and
 * the session goes on (nothing to retry; an `error` would end it). `worker_restarted`:
 * results go on with the next `seq` from `resumedAtMs` (hops of the resumed stream start
 * there: resumedAtMs + k·hopMs); the `lostMs` of audio before it that no result covers
 * were never analysed. Clients that do not know a code (or the type) ignore it.
 */
export interface NoticeMessage {
  type: 'notice';
  code: NoticeCode;
  /** For humans; clients branch on `code`. */
  message: string;
  /** Stream time the resumed stream starts at, ms (the first whole sample after the audio fed to the crashed worker). */
  resumedAtMs: number;
  /** Audio received before `resumedAtMs` that no result covers (it was inside the crashed worker), ms. */
  lostMs: number;
  /** With channelMode 'separate': the channel whose stream was resumed. */
  channel?: number;
  channelLabel?: string;
}

export type ServerMessage = ReadyMessage | EmotionMessage | SummaryMessage | AlertMessage | NoticeMessage | ErrorMessage;

export const STREAM_PATH = '/v1/stream';
export const ANALYZE_PATH = '/v1/analyze';
export const SESSIONS_PATH = '/v1/sessions';
export const TWILIO_PATH = '/v1/twilio';

