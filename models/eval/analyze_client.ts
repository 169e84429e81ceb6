/**
 * Clips through a running server's POST /v1/analyze — the pipeline a WebSocket stream runs
 * (decode, resample, features, voice gate, hops, batched model steps, smoothing, summary) —
 * a few requests in flight at a time.
 */
import type { EmotionMessage, SummaryMessage } from '../../shared/protocol.js';
import type { StreamInput } from './conditions.js';

export interface AnalyzeAnswer {
  results: EmotionMessage[];
  summary: SummaryMessage;
}

export interface AnalyzeOptions {
  hopMs: number;
  smoothing: number;
}

export async function analyze(baseUrl: string, input: StreamInput, options: AnalyzeOptions): Promise<AnalyzeAnswer> {
  const query = new URLSearchParams({
    sampleRate: String(input.sampleRateHz),
    encoding: input.encoding,
    channels: '1',
    hopMs: String(options.hopMs),
    smoothing: String(options.smoothing),
  });
  const response = await fetch(`${baseUrl}/v1/analyze?${query.toString()}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: new Blob([input.bytes as Uint8Array<ArrayBuffer>]),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST /v1/analyze: expected 200, got ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as AnalyzeAnswer;
}

/** Maps `items` through `fn` with at most `limit` calls in flight; results keep their order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next;
      next += 1;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}
