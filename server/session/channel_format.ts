/**
 * Validation of the channel fields of `start` (and of POST /v1/analyze's query):
 * `channelMode`, `channelLabels` and `externalIds`. Every failure is a ProtocolError
 * ('bad_message') with "expected X, got Y"; the defaults keep the v1 behaviour (mix).
 */
import { ProtocolError } from '../../shared/error_codes.js';
import {
  CHANNEL_MODES,
  MAX_CHANNEL_LABEL_LENGTH,
  MAX_EXTERNAL_ID_LENGTH,
  MAX_EXTERNAL_IDS,
  type ChannelMode,
} from '../../shared/protocol.js';

export interface ChannelFormat {
  channelMode: ChannelMode;
  /** One per channel, with 'separate' only; undefined when none were given. */
  channelLabels: string[] | undefined;
  /** Ids of the call in other systems; {} when none. */
  externalIds: Record<string, string>;
}

/** Printable, no control characters: labels and ids end up in JSON, logs of watchers and pages. */
const PRINTABLE = /^[^\p{Cc}]+$/u;

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

export function resolveChannelFormat(fields: Record<string, unknown>, channels: number): ChannelFormat {
  const { channelMode, channelLabels, externalIds } = fields;
  const mode = channelMode ?? 'mix';
  if (typeof mode !== 'string' || !(CHANNEL_MODES as readonly string[]).includes(mode)) {
    throw new ProtocolError('bad_message', `expected channelMode one of ${CHANNEL_MODES.join(', ')}, got ${show(channelMode)}`);
  }
  let labels: string[] | undefined;
  if (channelLabels !== undefined) {
    if (mode !== 'separate') throw new ProtocolError('bad_message', `expected channelLabels only with channelMode "separate", got channelMode ${show(mode)}`);
    if (
      !Array.isArray(channelLabels) ||
      channelLabels.length !== channels ||
      channelLabels.some((l) => typeof l !== 'string' || l.length === 0 || l.length > MAX_CHANNEL_LABEL_LENGTH || !PRINTABLE.test(l))
    ) {
      throw new ProtocolError(
        'bad_message',
        `expected channelLabels a list of ${channels} strings of 1–${MAX_CHANNEL_LABEL_LENGTH} printable characters, got ${show(channelLabels)}`,
      );
    }
    labels = [...(channelLabels as string[])];
  }
  return { channelMode: mode as ChannelMode, channelLabels: labels, externalIds: resolveExternalIds(externalIds) };
}

export function resolveExternalIds(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  const bad = (): ProtocolError =>
    new ProtocolError(
      'bad_message',
      `expected externalIds an object of at most ${MAX_EXTERNAL_IDS} string values, keys and values of 1–${MAX_EXTERNAL_ID_LENGTH} printable characters, got ${show(value)}`.slice(0, 400),
    );
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad();
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_EXTERNAL_IDS) throw bad();
  const out: Record<string, string> = {};
  for (const [key, id] of entries) {
    const ok = (s: unknown): s is string => typeof s === 'string' && s.length > 0 && s.length <= MAX_EXTERNAL_ID_LENGTH && PRINTABLE.test(s);
    if (!ok(key) || !ok(id)) throw bad();
    out[key] = id;
  }
  return out;
}
