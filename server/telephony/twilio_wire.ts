/**
 * Twilio Media Streams (`GET /v1/twilio`) as a session wire: Twilio's JSON messages, as
 * Twilio documents them (www.twilio.com/docs/voice/media-streams/websocket-messages),
 * become session actions.
 *
 *   connected                      nothing (protocol announcement)
 *   start  {start: {streamSid, accountSid, callSid, tracks, customParameters,
 *           mediaFormat: {encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1}}}
 *                                  start: channelMode 'separate', one channel per track,
 *                                  labelled with the track ("inbound" = the caller's
 *                                  audio, "outbound" = what the call sends them)
 *   media  {media: {track, chunk, timestamp, payload (base64 μ-law)}}
 *                                  audio of that track's channel; where `timestamp` (ms
 *                                  from the stream's start) is ahead of the track's audio
 *                                  so far (a track that starts late or pauses), the gap is
 *                                  filled with digital silence first, up to 10 s per gap,
 *                                  so both channels keep one clock
 *   mark, dtmf                     nothing
 *   stop                           end: the received audio is finished, results go to watchers
 *
 * Nothing is sent back to Twilio (results reach watchers, GET /v1/sessions/{id}/events).
 * The session is found by `streamSid`, `callSid`, `accountSid` and the stream's custom
 * parameters (its externalIds). Authentication: an API key in the URL (`?token=`) was
 * checked at the upgrade; otherwise, when keys are configured, the `start` must carry one
 * as the custom parameter `token`.
 */
import { ProtocolError } from '../../shared/error_codes.js';
import { MAX_EXTERNAL_IDS } from '../../shared/protocol.js';
import { isAuthorized } from '../auth.js';
import { resolveExternalIds } from '../session/channel_format.js';
import { resolveFormat } from '../session/start.js';
import type { Wire, WireAction } from '../session/wire.js';

/** Twilio's encodings → the protocol's. */
const ENCODINGS: Readonly<Record<string, 'mulaw' | 'alaw'>> = { 'audio/x-mulaw': 'mulaw', 'audio/x-alaw': 'alaw' };
const TRACKS = ['inbound', 'outbound'] as const;
/** A track's timestamp ahead of its audio by more than this is a gap to fill, ms (Twilio sends 20 ms per message). */
const GAP_TOLERANCE_MS = 40;
/**
 * Most silence inserted for one gap, ms: bounds what one message can make the server hold,
 * and the filled silence is paced like audio (maxRealTimeMultiple), so a long fill would
 * delay the real audio behind it. A longer gap is filled only this far: that channel's
 * stream time then trails the call's by the rest.
 */
export const MAX_GAP_FILL_MS = 10_000;
/** G.711 digital silence (the code of 0), by encoding. */
const SILENCE_BYTE = { mulaw: 0xff, alaw: 0xd5 } as const;
/** The custom parameter that may carry the API key; never shown to watchers. */
export const TWILIO_TOKEN_PARAMETER = 'token';

export interface TwilioWireOptions {
  apiKeys: readonly string[];
  /** Whether the upgrade already presented a valid key (`?token=` or a header). */
  authorizedAtUpgrade: boolean;
  defaults: { hopMs: number; smoothing: number };
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value).slice(0, 120);
}

export function twilioWire(options: TwilioWireOptions): Wire {
  let tracks: string[] = [];
  let encodingInUse: 'mulaw' | 'alaw' = 'mulaw';
  let bytesPerMs = 8;
  /** Bytes received per track (channel), for the gap rule. */
  let trackBytes: number[] = [];
  const parseJson = (data: Uint8Array, isBinary: boolean): unknown => {
    if (isBinary) throw new ProtocolError('bad_message', 'expected Twilio Media Streams JSON text messages, got binary data');
    try {
      return JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
    } catch {
      throw new ProtocolError('bad_message', 'expected a JSON Twilio message, got text that is not JSON');
    }
  };

  const start = (message: unknown): WireAction => {
    const meta = field(message, 'start');
    const custom = field(meta, 'customParameters') ?? {};
    if (typeof custom !== 'object' || custom === null || Array.isArray(custom)) {
      throw new ProtocolError('bad_message', `expected start.customParameters an object, got ${show(custom)}`);
    }
    const { [TWILIO_TOKEN_PARAMETER]: token, ...params } = custom as Record<string, unknown>;
    if (!options.authorizedAtUpgrade && !isAuthorized(options.apiKeys, typeof token === 'string' ? token : null)) {
      throw new ProtocolError('unauthorized', `expected a valid API key in ?token= or the custom parameter "${TWILIO_TOKEN_PARAMETER}"`);
    }
    const format = field(meta, 'mediaFormat');
    const encoding = ENCODINGS[String(field(format, 'encoding'))];
    if (encoding === undefined || field(format, 'channels') !== 1) {
      throw new ProtocolError('unsupported_format', `expected mediaFormat audio/x-mulaw (or audio/x-alaw), 1 channel, got ${show(format)}`);
    }
    const declared = field(meta, 'tracks') ?? ['inbound'];
    if (
      !Array.isArray(declared) ||
      declared.length < 1 ||
      declared.length > 2 ||
      new Set(declared).size !== declared.length ||
      declared.some((t) => !(TRACKS as readonly unknown[]).includes(t))
    ) {
      throw new ProtocolError('bad_message', `expected start.tracks one or both of ${TRACKS.join(', ')}, got ${show(declared)}`);
    }
    tracks = declared as string[];
    trackBytes = tracks.map(() => 0);
    encodingInUse = encoding;
    const ids: Record<string, unknown> = {};
    for (const key of ['streamSid', 'callSid', 'accountSid']) {
      const id = field(meta, key);
      if (id !== undefined) ids[key] = id;
    }
    if (Object.keys(ids).length + Object.keys(params).length > MAX_EXTERNAL_IDS) {
      throw new ProtocolError('bad_message', `expected at most ${MAX_EXTERNAL_IDS - Object.keys(ids).length} custom parameters besides ${TWILIO_TOKEN_PARAMETER}, got ${Object.keys(params).length}`);
    }
    const externalIds = resolveExternalIds({ ...params, ...ids });
    const fields = {
      sampleRate: field(format, 'sampleRate'),
      encoding,
      channels: tracks.length,
      channelMode: 'separate',
      channelLabels: tracks,
    };
    const resolved = resolveFormat(fields, options.defaults);
    bytesPerMs = resolved.sampleRateHz / 1000;
    return { kind: 'start', format: { ...resolved, externalIds } };
  };

  const media = (message: unknown): WireAction[] => {
    const body = field(message, 'media');
    const track = field(body, 'track') ?? (tracks.length === 1 ? tracks[0] : undefined);
    const channel = tracks.indexOf(String(track));
    if (tracks.length > 0 && channel < 0) throw new ProtocolError('bad_message', `expected media.track one of ${tracks.join(', ')}, got ${show(track)}`);
    const payload = field(body, 'payload');
    if (typeof payload !== 'string') throw new ProtocolError('bad_message', `expected media.payload a base64 string, got ${show(payload)}`);
    const bytes = new Uint8Array(Buffer.from(payload, 'base64'));
    if (tracks.length === 0) return [{ kind: 'audio', bytes, channel: 0 }];
    const actions: WireAction[] = [];
    const timestampMs = Number(field(body, 'timestamp'));
    const heldMs = (trackBytes[channel] ?? 0) / bytesPerMs;
    if (Number.isFinite(timestampMs) && timestampMs - heldMs > GAP_TOLERANCE_MS) {
      const fill = new Uint8Array(Math.round(Math.min(timestampMs - heldMs, MAX_GAP_FILL_MS) * bytesPerMs)).fill(SILENCE_BYTE[encodingInUse]);
      actions.push({ kind: 'audio', bytes: fill, channel });
      trackBytes[channel] = (trackBytes[channel] ?? 0) + fill.length;
    }
    trackBytes[channel] = (trackBytes[channel] ?? 0) + bytes.length;
    actions.push({ kind: 'audio', bytes, channel });
    return actions;
  };

  return {
    source: 'twilio',
    repliesToPeer: false,
    parse(data, isBinary) {
      const message = parseJson(data, isBinary);
      const event = field(message, 'event');
      switch (event) {
        case 'start':
          return [start(message)];
        case 'media':
          return media(message);
        case 'stop':
          return [{ kind: 'end' }];
        case 'connected':
        case 'mark':
        case 'dtmf':
          return [];
        default:
          throw new ProtocolError('bad_message', `expected a Twilio Media Streams event (connected, start, media, mark, dtmf, stop), got ${show(event)}`);
      }
    },
  };
}
