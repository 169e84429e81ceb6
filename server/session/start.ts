/**
 * Parsing and validation of client control messages and of stream parameters (also used
 * for POST /v1/analyze's query). Every failure is a ProtocolError with "expected X, got Y":
 * `bad_message` for malformed messages, `unsupported_format` for audio the server cannot take.
 */
import { ProtocolError } from '../../shared/error_codes.js';
import {
  ENCODINGS,
  MAX_HOP_MS,
  MAX_SAMPLE_RATE_HZ,
  MAX_SMOOTHING,
  MIN_HOP_MS,
  MIN_SAMPLE_RATE_HZ,
  type ClientMessage,
  type Encoding,
} from '../../shared/protocol.js';
import { resolveChannelFormat, type ChannelFormat } from './channel_format.js';

/** Validated parameters of one stream (the channel fields: channel_format.ts). */
export interface StreamFormat extends ChannelFormat {
  sampleRateHz: number;
  encoding: Encoding;
  channels: 1 | 2;
  hopMs: number;
  smoothing: number;
}

/** Longest control message accepted, bytes; a `start` is ~120 bytes. */
export const MAX_CONTROL_MESSAGE_BYTES = 4096;

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** Text frame → a client message, or ProtocolError('bad_message'). */
export function parseClientMessage(text: string): ClientMessage {
  if (text.length > MAX_CONTROL_MESSAGE_BYTES) {
    throw new ProtocolError('bad_message', `expected a control message under ${MAX_CONTROL_MESSAGE_BYTES} bytes, got ${text.length}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError('bad_message', 'expected a JSON object, got text that is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('bad_message', `expected a JSON object, got ${show(value)}`);
  }
  const type = (value as { type?: unknown }).type;
  if (type === 'start' || type === 'end') return value as ClientMessage;
  throw new ProtocolError('bad_message', `expected type "start" or "end", got ${show(type)}`);
}

/**
 * Validates a start message's fields (or the same fields from a query string), filling
 * hop and smoothing from the defaults.
 */
export function resolveFormat(
  fields: Record<string, unknown>,
  defaults: { hopMs: number; smoothing: number },
): StreamFormat {
  const { sampleRate, encoding, channels, hopMs, smoothing } = fields;
  if (typeof encoding !== 'string' || !(ENCODINGS as readonly string[]).includes(encoding)) {
    throw new ProtocolError('unsupported_format', `expected encoding one of ${ENCODINGS.join(', ')}, got ${show(encoding)}`);
  }
  if (
    typeof sampleRate !== 'number' ||
    !Number.isInteger(sampleRate) ||
    sampleRate < MIN_SAMPLE_RATE_HZ ||
    sampleRate > MAX_SAMPLE_RATE_HZ
  ) {
    throw new ProtocolError(
      'unsupported_format',
      `expected sampleRate an integer in ${MIN_SAMPLE_RATE_HZ}–${MAX_SAMPLE_RATE_HZ} Hz, got ${show(sampleRate)}`,
    );
  }
  if (channels !== 1 && channels !== 2) {
    throw new ProtocolError('unsupported_format', `expected channels 1 or 2, got ${show(channels)}`);
  }
  const hop = hopMs ?? defaults.hopMs;
  if (typeof hop !== 'number' || !Number.isInteger(hop) || hop < MIN_HOP_MS || hop > MAX_HOP_MS) {
    throw new ProtocolError('bad_message', `expected hopMs an integer in ${MIN_HOP_MS}–${MAX_HOP_MS}, got ${show(hopMs)}`);
  }
  const alpha = smoothing ?? defaults.smoothing;
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= MAX_SMOOTHING)) {
    throw new ProtocolError('bad_message', `expected smoothing a number in 0–${MAX_SMOOTHING}, got ${show(smoothing)}`);
  }
  return { sampleRateHz: sampleRate, encoding: encoding as Encoding, channels, hopMs: hop, smoothing: alpha, ...resolveChannelFormat(fields, channels) };
}

/** Query-string values are strings; numbers are converted before `resolveFormat`. */
export function formatFieldsFromQuery(query: Record<string, unknown>): Record<string, unknown> {
  const num = (v: unknown): unknown => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
  return {
    sampleRate: num(query.sampleRate),
    encoding: query.encoding,
    channels: num(query.channels ?? '1'),
    hopMs: num(query.hopMs),
    smoothing: num(query.smoothing),
    channelMode: query.channelMode,
    channelLabels: typeof query.channelLabels === 'string' ? query.channelLabels.split(',') : query.channelLabels,
  };
}
