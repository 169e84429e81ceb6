/**
 * A minimal protocol-v1 server for the generator's own tests: answers `start` with `ready`,
 * sends one `emotion` per completed hop of received audio (pcm_s16le mono), a final result
 * and a summary after `end`. Knobs inject the faults the generator must detect.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EmotionMessage, ErrorMessage, ReadyMessage, SummaryMessage } from '../../shared/protocol.js';

export interface FakeServerOptions {
  /** Seq numbers never sent (per session). */
  dropSeq?: ReadonlySet<number>;
  /** Answer every `start` with this error instead of `ready`. */
  rejectWith?: ErrorMessage['code'];
  /** Do not send the summary. */
  omitSummary?: boolean;
  /** After `ready`, a session with no audio for this long gets `idle_timeout` and close 1008. */
  idleTimeoutMs?: number;
  /** A session cut (socket destroyed, as after `slow_consumer`) once it has sent this much audio, bytes. */
  terminateAfterAudioBytes?: number;
}

export interface FakeServer {
  url: string;
  close(): Promise<void>;
}

const PROBS = { neutral: 1 };

function emotion(seq: number, startMs: number, endMs: number, final: boolean): EmotionMessage {
  return {
    type: 'emotion', seq, startMs, endMs, probs: PROBS, top: 'neutral', confidence: 1, voiced: true,
    arousal: 0, valence: 0, ...(final ? { final: true } : {}),
  };
}

function serve(ws: WebSocket, opts: FakeServerOptions): void {
  let hopSamples = 0;
  let hopMs = 250;
  let received = 0;
  let seq = 0;
  const send = (seqNo: number, msg: EmotionMessage): void => {
    if (!opts.dropSeq?.has(seqNo)) ws.send(JSON.stringify(msg));
  };
  let idleTimer: NodeJS.Timeout | undefined;
  ws.on('close', () => clearTimeout(idleTimer));
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      clearTimeout(idleTimer);
      received += data.length / 2;
      if (opts.terminateAfterAudioBytes !== undefined && received * 2 >= opts.terminateAfterAudioBytes) {
        ws.terminate();
        return;
      }
      while ((seq + 1) * hopSamples <= received) {
        send(seq, emotion(seq, seq * hopMs, (seq + 1) * hopMs, false));
        seq++;
      }
      return;
    }
    const msg = JSON.parse(data.toString()) as { type: string; hopMs?: number; sampleRate?: number };
    if (msg.type === 'start') {
      if (opts.rejectWith !== undefined) {
        const err: ErrorMessage = { type: 'error', code: opts.rejectWith, message: 'no', retryable: true };
        ws.send(JSON.stringify(err));
        ws.close(1013);
        return;
      }
      hopMs = msg.hopMs ?? 250;
      hopSamples = ((msg.sampleRate ?? 16_000) * hopMs) / 1000;
      const ready: ReadyMessage = {
        type: 'ready', sessionId: 's', protocol: 1, model: { id: 'fake', labels: ['neutral'] }, hopMs, smoothing: 0,
      };
      ws.send(JSON.stringify(ready));
      if (opts.idleTimeoutMs !== undefined) {
        idleTimer = setTimeout(() => {
          const err: ErrorMessage = { type: 'error', code: 'idle_timeout', message: 'no audio', retryable: true };
          ws.send(JSON.stringify(err));
          ws.close(1008, 'idle_timeout');
        }, opts.idleTimeoutMs);
      }
    } else if (msg.type === 'end') {
      const endMs = (received / 16_000) * 1000;
      send(seq, emotion(seq, seq * hopMs, endMs, true));
      if (!opts.omitSummary) {
        const summary: SummaryMessage = { type: 'summary', durationMs: endMs, voicedMs: endMs, mean: PROBS, dominant: 'neutral', segments: [] };
        ws.send(JSON.stringify(summary));
        ws.close(1000);
      }
    }
  });
}

export async function startFakeServer(opts: FakeServerOptions = {}): Promise<FakeServer> {
  const http: Server = createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  const wss = new WebSocketServer({ server: http, path: '/v1/stream' });
  wss.on('connection', (ws) => serve(ws, opts));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
