/**
 * Streams an AudioSource through an EmotionStreamClient: connect (if needed), start with
 * the source's format, send it in chunks, end, and resolve with the summary. Results flow
 * through the client's `results$` / async iterator meanwhile. Isomorphic.
 *
 * Pacing: 'realtime' sends each chunk when its last sample would have been captured
 * (sample counts are the clock; `speed` scales it). 'fast' sends as fast as the server
 * keeps up: at most `maxAheadMs` of audio beyond the last result, so a file never
 * outruns the server's backlog limit whatever its policy.
 */
import type { StartMessage, SummaryMessage } from '../../shared/protocol.js';
import type { EmotionStreamClient } from './client.js';
import { durationMsOf, frameBytesOf, type AudioSource } from './audio_source.js';

export type Pace = 'realtime' | 'fast';

export interface StreamAudioOptions {
  /** 'realtime' (default) or 'fast'. */
  pace?: Pace;
  /** Real-time multiplier for pace 'realtime', 0.1–100. Default 1. */
  speed?: number;
  /** Audio per WebSocket message, ms, 10–1000. Default 100. */
  chunkMs?: number;
  /** Pace 'fast': most audio sent beyond the last result, ms, 500–600000. Default 5000; raised to 4 hops or 2 chunks if longer, so it never stalls. */
  maxAheadMs?: number;
  /** Passed in `start`; server defaults when omitted. */
  hopMs?: number;
  smoothing?: number;
  /** Passed in `start`: 'separate' analyses each channel of a stereo source on its own. */
  channelMode?: StartMessage['channelMode'];
  channelLabels?: string[];
  externalIds?: Record<string, string>;
  /** Aborting closes the client and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** After each chunk: audio sent so far and in total, ms. */
  onProgress?: (sentMs: number, totalMs: number) => void;
}

const DEFAULTS = { pace: 'realtime' as Pace, speed: 1, chunkMs: 100, maxAheadMs: 5000 };

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${name}: expected ${min}–${max}, got ${value}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export async function streamAudio(
  client: EmotionStreamClient,
  source: AudioSource,
  options: StreamAudioOptions = {},
): Promise<SummaryMessage> {
  const { pace, speed, chunkMs, maxAheadMs } = { ...DEFAULTS, ...options };
  checkRange('speed', speed, 0.1, 100);
  checkRange('chunkMs', chunkMs, 10, 1000);
  checkRange('maxAheadMs', maxAheadMs, 500, 600_000);
  const { signal } = options;
  const onAbort = (): void => client.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    signal?.throwIfAborted();
    if (client.state === 'idle') await client.connect();
    const ready = await client.start({
      sampleRate: source.sampleRate,
      encoding: source.encoding,
      channels: source.channels,
      ...(options.hopMs !== undefined ? { hopMs: options.hopMs } : {}),
      ...(options.smoothing !== undefined ? { smoothing: options.smoothing } : {}),
      ...(options.channelMode !== undefined ? { channelMode: options.channelMode } : {}),
      ...(options.channelLabels !== undefined ? { channelLabels: options.channelLabels } : {}),
      ...(options.externalIds !== undefined ? { externalIds: options.externalIds } : {}),
    });
    const aheadLimitMs = Math.max(maxAheadMs, 4 * ready.hopMs, 2 * chunkMs);
    const frameBytes = frameBytesOf(source);
    const chunkBytes = Math.max(1, Math.round((source.sampleRate * chunkMs) / 1000)) * frameBytes;
    const totalMs = durationMsOf(source);
    const msPerByte = totalMs / source.data.byteLength;
    const t0 = performance.now();
    for (let at = 0; at < source.data.byteLength; at += chunkBytes) {
      const chunk = source.data.subarray(at, Math.min(at + chunkBytes, source.data.byteLength));
      const endMs = (at + chunk.byteLength) * msPerByte;
      if (pace === 'realtime') await sleep(t0 + endMs / speed - performance.now());
      else await client.whenCaughtUp(aheadLimitMs);
      signal?.throwIfAborted();
      client.send(chunk);
      options.onProgress?.(endMs, totalMs);
    }
    return await client.end();
  } catch (err) {
    signal?.throwIfAborted();
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
