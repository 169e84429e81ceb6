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
 * Default 0.5.
 */
export const DEFAULT_SMOOTHING = 0.5;
export const MAX_SMOOTHING = 0.99;

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
}

export interface SummarySegment {
  startMs: number;
  endMs: number;
  /** Dominant label over the segment. */
  label: string;
  /** Mean confidence of that label over the segment. */
  confidence: number;
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
}

export interface ErrorMessage {
  type: 'error';
  code: ErrorCode;
  message: string;
  retryable: boolean;
}

export type ServerMessage = ReadyMessage | EmotionMessage | SummaryMessage | ErrorMessage;

export const STREAM_PATH = '/v1/stream';
export const ANALYZE_PATH = '/v1/analyze';
