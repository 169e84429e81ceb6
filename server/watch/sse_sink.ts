/**
 * A watcher over Server-Sent Events: each message is one `data:` event holding its JSON
 * (the `type` field tells them apart, so a browser's EventSource needs only `onmessage`).
 *
 * Bounded: a message is refused when more than `maxUnsentBytes` already wait in the
 * response's buffer (Node's writable buffer: what the kernel would not take), and the hub
 * then drops this watcher — the error event is queued behind what waits, the response
 * ended, and the socket destroyed after a grace period, so a watcher that never reads pins
 * at most that many bytes. A comment line every `keepAliveMs` keeps proxies from closing
 * an idle stream and finds dead peers.
 */
import type { Response } from 'express';
import type { WatcherSink } from './watched_session.js';

/** After a drop, how long a slow watcher gets to take the error event before its socket is destroyed, ms. */
const DROP_GRACE_MS = 2_000;

export interface SseOptions {
  maxUnsentBytes: number;
  keepAliveMs: number;
  /** Called once when the stream ends, whatever ended it. */
  onClose(): void;
}

export function sseSink(res: Response, options: SseOptions): WatcherSink {
  res.status(200);
  res.set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    // nginx and similar proxies buffer responses unless told not to.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  let open = true;
  const keepAlive = setInterval(() => {
    if (open) res.write(': keep-alive\n\n');
  }, options.keepAliveMs);
  keepAlive.unref();
  const finish = (): void => {
    if (!open) return;
    open = false;
    clearInterval(keepAlive);
    options.onClose();
  };
  res.on('close', finish);
  // A write racing the peer's disconnect must not become an unhandled 'error' event.
  res.on('error', finish);
  const event = (text: string): string => `data: ${text}\n\n`;
  return {
    write: (text) => {
      if (!open) return true;
      if (res.writableLength > options.maxUnsentBytes) return false;
      res.write(event(text));
      return true;
    },
    end: (text) => {
      if (!open) return;
      res.end(event(text));
      finish();
    },
    drop: (text) => {
      if (!open) return;
      res.end(event(text));
      finish();
      setTimeout(() => res.destroy(), DROP_GRACE_MS).unref();
    },
  };
}
