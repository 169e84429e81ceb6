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
  /** Told when a request is sent again after a stale connection (see analyze). */
  onRetry?: (reason: string) => void;
}

export async function analyze(baseUrl: string, input: StreamInput, options: AnalyzeOptions): Promise<AnalyzeAnswer> {
  const query = new URLSearchParams({
    sampleRate: String(input.sampleRateHz),
    encoding: input.encoding,
    channels: '1',
    hopMs: String(options.hopMs),
    smoothing: String(options.smoothing),
  });
  const url = `${baseUrl}/v1/analyze?${query.toString()}`;
  const post = (): Promise<Response> =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Blob([input.bytes as Uint8Array<ArrayBuffer>]) });
  let response: Response | null = null;
  for (let attempt = 1; response === null; attempt++) {
    try {
      response = await post();
    } catch (err) {
      // A kept-alive connection the server closed as the request went out (its idle timer
      // fires late when this process's event loop was busy, e.g. building a long session):
      // the request never reached the server, and an analysis is stateless, so again, after
      // a pause that lets a busy event loop catch up (STALE_RETRY_DELAYS_MS).
      const delayMs = STALE_RETRY_DELAYS_MS[attempt - 1];
      if (!isStaleConnection(err) || delayMs === undefined) throw withCause(err);
      options.onRetry?.(withCause(err).message);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`POST /v1/analyze: expected 200, got ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as AnalyzeAnswer;
}

/** Pauses before each further attempt after a stale connection: three attempts in all. */
export const STALE_RETRY_DELAYS_MS = [100, 1000];

/** Codes of a socket closed under a request (undici: the other side closed; a reset; a broken pipe). */
const STALE_CONNECTION_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

function causeCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function isStaleConnection(err: unknown): boolean {
  const code = causeCode(err);
  return code !== undefined && STALE_CONNECTION_CODES.has(code);
}

/** fetch's "fetch failed" with its cause's code and message, which say what actually failed. */
function withCause(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  const cause = (err as { cause?: unknown }).cause;
  if (!(cause instanceof Error)) return err;
  return new Error(`POST /v1/analyze: ${err.message} (${causeCode(err) ?? cause.name}: ${cause.message})`, { cause: err });
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
