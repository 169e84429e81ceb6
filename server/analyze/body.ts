/**
 * The body of `POST /v1/analyze`, read from the request stream only as the analysis asks
 * for it. Nothing is read ahead: while the analysis waits (its pace, or its worker), the
 * request stream stays paused, its buffer fills to its highWaterMark, Node stops reading
 * the socket, and TCP pushes back on the uploader. So the bytes of one upload in this
 * process are what the analysis asked for (a slice and a few bytes of look-ahead, see
 * slices.ts) plus the stream's buffer (highWaterMark, 16 KiB on Node 20) and the
 * socket read that overfilled it (≤ 64 KiB) — whatever the length of the file.
 *
 * The size limit is counted as the bytes arrive: the read that takes the body past
 * `maxBytes` fails with `message_too_large` (a body sent without Content-Length, chunked;
 * a declared one was refused before the body was read, admission.ts).
 */
import type { Readable } from 'node:stream';
import { ProtocolError } from '../../shared/error_codes.js';

/** Bytes taken from the front of a body, on demand (BodyReader; a plain array in tests). */
export interface ByteSource {
  /**
   * Resolves with the number of bytes buffered once at least `n` are (fewer only when the
   * body ended). Rejects when the body cannot be read (too large, the client went away).
   */
  fill(n: number): Promise<number>;
  /** Removes and returns the first `n` buffered bytes (n ≤ what `fill` resolved with). */
  take(n: number): Uint8Array;
}

/** Drops the next `n` bytes (fewer when the body ends first), holding at most one chunk at a time. */
export async function skipBytes(source: ByteSource, n: number): Promise<void> {
  for (let left = n; left > 0; ) {
    const buffered = await source.fill(1);
    if (buffered === 0) return;
    const dropped = Math.min(buffered, left);
    source.take(dropped);
    left -= dropped;
  }
}

export class BodyReader implements ByteSource {
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private ended = false;
  private failure: unknown = null;
  private wake: (() => void) | null = null;
  private readonly notify = (): void => {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  };
  private readonly listeners: [string, (arg?: unknown) => void][];
  /** Bytes read from the request so far (the body's, whatever was done with them). */
  bytesRead = 0;

  /**
   * @param stream the request (paused mode: read only in `fill`)
   * @param maxBytes most bytes of one body, ≥ 1
   * @param onBytes told of each chunk read, with its size in bytes (metrics)
   * @param signal fires when the analysis is abandoned: a waiting `fill` rejects with its reason
   */
  constructor(
    private readonly stream: Readable,
    private readonly maxBytes: number,
    private readonly onBytes: (bytes: number) => void,
    private readonly signal: AbortSignal,
  ) {
    const notify = this.notify;
    const fail = (err?: unknown): void => {
      // The client went away (or its request broke): say why the analysis stopped, if it was stopped.
      if (this.failure === null && !this.ended) {
        this.failure = this.signal.aborted ? this.signal.reason : new ProtocolError('bad_message', `expected the rest of the body, got ${err instanceof Error ? err.message : 'a closed connection'}`);
      }
      notify();
    };
    this.listeners = [
      ['readable', notify],
      ['end', () => ((this.ended = true), notify())],
      ['error', fail],
      ['close', () => fail()],
    ];
    for (const [event, listener] of this.listeners) stream.on(event, listener);
    signal.addEventListener('abort', notify);
  }

  async fill(n: number): Promise<number> {
    while (this.buffered < n) {
      this.throwIfFailed();
      const chunk = this.stream.read() as Uint8Array | null;
      if (chunk !== null) {
        this.accept(chunk);
        continue;
      }
      if (this.ended || this.stream.readableEnded) break;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return this.buffered;
  }

  take(n: number): Uint8Array {
    if (n > this.buffered) throw new RangeError(`take: expected at most ${this.buffered} bytes, got ${n}`);
    this.buffered -= n;
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      // Within one chunk: a view, no copy.
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    for (let at = 0; at < n; ) {
      const chunk = this.chunks[0] as Uint8Array;
      const part = Math.min(chunk.length, n - at);
      out.set(chunk.subarray(0, part), at);
      at += part;
      if (part === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(part);
    }
    return out;
  }

  /** The first `n` buffered bytes (fewer when fewer are), left in place. */
  peek(n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.buffered));
    let at = 0;
    for (const chunk of this.chunks) {
      if (at === out.length) break;
      const part = chunk.subarray(0, out.length - at);
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  /** Reads the rest of the body, dropping it (still counted against the limit). */
  async drain(): Promise<void> {
    await skipBytes(this, Number.POSITIVE_INFINITY);
  }

  /** Stops listening; what was buffered is dropped. The request is left as it is (paused when unread). */
  dispose(): void {
    for (const [event, listener] of this.listeners) this.stream.off(event, listener);
    this.signal.removeEventListener('abort', this.notify);
    this.chunks.length = 0;
    this.buffered = 0;
    this.failure ??= new ProtocolError('internal', 'the body reader was released');
    this.notify();
  }

  private throwIfFailed(): void {
    if (this.signal.aborted) throw this.signal.reason;
    if (this.failure !== null) throw this.failure;
  }

  private accept(chunk: Uint8Array): void {
    this.bytesRead += chunk.length;
    this.onBytes(chunk.length);
    if (this.bytesRead > this.maxBytes) {
      this.failure = new ProtocolError('message_too_large', `expected a body of at most ${this.maxBytes} bytes`);
      throw this.failure;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }
}
