/**
 * `POST /v1/analyze` reads its body as the analysis takes it, against a real server:
 *
 * - every body kind (analyze_bodies.ts) sent chunked in odd pieces (1, 7, 13, 4093, 65537, 3
 *   bytes, a macrotask apart) gets byte for byte the answer of the same body sent whole
 *   with a Content-Length; the same audio sent another way (raw, a WAV with extra chunks or a
 *   streamed size, decoded here or in the worker) gets the same results; errors keep their
 *   codes. (When the streaming reader replaced the buffering one, each of these answers was
 *   also compared with the buffering implementation's, run from the previous commit on the
 *   same model: identical, whole and chunked.)
 * - a chunked body past maxAnalyzeBytes gets 413 once the limit is crossed, while its
 *   client is still sending; its slots free.
 * - bounded memory: 12 minutes of audio sent chunked as fast as TCP takes it, to a server
 *   paced at real time: the uploader is held back by TCP while the server has read only
 *   the start of the body; when it goes away the analysis stops and frees its slots.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../server/app.js';
import { scrapeMetrics, startTestServer, until } from '../helpers/server.js';
import { analyzeBodies, type AnalyzeBody } from './analyze_bodies.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** The error code each status of the malformed bodies stands for (shared/error_codes.ts). */
const CODE_OF_STATUS: Record<number, string> = { 400: 'bad_message', 415: 'unsupported_format', 422: 'bad_audio' };

/** Piece sizes of a chunked upload, cycled: odd, tiny, and one past a socket read. */
const PIECES = [1, 7, 13, 4093, 65_537, 3];

/** POSTs `body` whole (Content-Length) or chunked in PIECES, a macrotask apart. */
function post(url: string, body: Uint8Array, chunked: boolean, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: chunked ? headers : { ...headers, 'Content-Length': String(body.length) } });
    // Errors once answered are the server closing on an unread rest (an early error answer).
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (!chunked) {
      req.end(Buffer.from(body));
      return;
    }
    let at = 0;
    let piece = 0;
    const step = (): void => {
      if (req.destroyed) return;
      if (at >= body.length) {
        req.end();
        return;
      }
      const size = PIECES[piece++ % PIECES.length] as number;
      req.write(Buffer.from(body.subarray(at, at + size)));
      at += size;
      setImmediate(step);
    };
    step();
  });
}

interface Analysis {
  results: unknown[];
  summary: unknown;
}

/** 16-bit samples of a 220 Hz tone with a little noise, `seconds` long at 16 kHz. */
function toneS16(seconds: number): Uint8Array {
  const out = new Int16Array(seconds * 16_000);
  let noise = 1;
  for (let i = 0; i < out.length; i++) {
    noise = (noise * 1_103_515_245 + 12_345) % 2 ** 31;
    out[i] = Math.round(6_000 * Math.sin((2 * Math.PI * 220 * i) / 16_000) + (noise / 2 ** 31 - 0.5) * 800);
  }
  return new Uint8Array(out.buffer);
}

/** Sends `body` chunked as fast as TCP takes it (waiting for 'drain' when it pushes back); resolves when all is written. */
function sendWithBackpressure(req: ClientRequest, body: Uint8Array, pieceBytes: number, written: { bytes: number }): Promise<void> {
  return (async () => {
    for (let at = 0; at < body.length && !req.destroyed; at += pieceBytes) {
      const piece = body.subarray(at, at + pieceBytes);
      written.bytes += piece.length;
      if (!req.write(piece)) await once(req, 'drain');
    }
    if (!req.destroyed) req.end();
  })().catch(() => undefined);
}

describe('POST /v1/analyze streams its body', () => {
  let server: RunningServer;
  let bodies: AnalyzeBody[];
  before(async () => {
    server = await startTestServer({ maxRealTimeMultiple: 10_000, maxAnalyzeBytes: 16 * 1024 * 1024, staticDir: '/nonexistent-static-dir' });
    bodies = await analyzeBodies();
  });
  after(async () => {
    await server.close();
  });

  it('every body kind: chunked in odd pieces = sent whole, byte for byte; the same audio sent another way = the same results; errors keep their codes', async () => {
    const answers = new Map<string, Analysis>();
    for (const kind of bodies) {
      const url = `${server.url}/v1/analyze${kind.query}`;
      const whole = await post(url, kind.body, false);
      const chunked = await post(url, kind.body, true);
      assert.equal(whole.status, kind.status, `${kind.name}: status ${whole.text.slice(0, 200)}`);
      assert.equal(chunked.status, kind.status, `${kind.name}: status when chunked`);
      assert.equal(chunked.text, whole.text, `${kind.name}: the chunked answer is the whole one, byte for byte`);
      if (kind.status !== 200) {
        const error = JSON.parse(whole.text) as { type: string; code: string };
        assert.equal(error.type, 'error', `${kind.name}: an error object`);
        assert.equal(error.code, CODE_OF_STATUS[kind.status], `${kind.name}: its stable code`);
        continue;
      }
      const analysis = JSON.parse(whole.text) as Analysis;
      assert.ok(Array.isArray(analysis.results), `${kind.name}: results listed`);
      answers.set(kind.name, analysis);
      if (kind.sameAs !== undefined) {
        const reference = answers.get(kind.sameAs);
        assert.ok(reference !== undefined, `${kind.name}: ${kind.sameAs} answered before it`);
        assert.deepEqual(analysis.results, reference.results, `${kind.name}: the results of ${kind.sameAs}`);
        assert.deepEqual(analysis.summary, reference.summary, `${kind.name}: the summary of ${kind.sameAs}`);
      }
    }
    const m = await scrapeMetrics(server);
    assert.equal(m.get('ser_sessions_active'), 0, 'no analysis left running');
    assert.equal(m.get('ser_analyze_in_flight'), 0, 'no upload slot left held');
  });

  it('a compressed body is refused (it would inflate without bound): 415', async () => {
    const answer = await post(`${server.url}/v1/analyze?sampleRate=16000&encoding=pcm_s16le`, new Uint8Array(3_200), false, { 'Content-Encoding': 'gzip' });
    assert.equal(answer.status, 415);
    assert.equal((JSON.parse(answer.text) as { code: string }).code, 'unsupported_format');
  });
});

describe('POST /v1/analyze: limits of a streamed body', () => {
  const LIMIT_BYTES = 256 * 1024;
  let fast: RunningServer;
  /** Paced at real time: an analysis of minutes of audio is still early seconds in. */
  let paced: RunningServer;
  before(async () => {
    fast = await startTestServer({ maxRealTimeMultiple: 10_000, maxAnalyzeBytes: LIMIT_BYTES, staticDir: '/nonexistent-static-dir' });
    paced = await startTestServer({ maxRealTimeMultiple: 1, maxAnalyzeBytes: 32 * 1024 * 1024, staticDir: '/nonexistent-static-dir' });
  });
  after(async () => {
    await Promise.all([fast.close(), paced.close()]);
  });

  it('a chunked body past maxAnalyzeBytes: 413 message_too_large while it is still being sent; the analysis stops and frees its slots', async () => {
    const body = toneS16(10 * 60); // 19 MB: more than the socket buffers on both sides hold
    const req = request(`${fast.url}/v1/analyze?sampleRate=16000&encoding=pcm_s16le`, { method: 'POST' });
    req.on('error', () => undefined);
    const written = { bytes: 0 };
    void sendWithBackpressure(req, body, 65_536, written);
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    assert.ok(written.bytes < body.length, `answered while the body was still being sent (${written.bytes} of ${body.length} bytes handed to TCP)`);
    let text = '';
    res.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await once(res, 'end');
    assert.equal(res.statusCode, 413);
    assert.equal((JSON.parse(text) as { code: string }).code, 'message_too_large');
    assert.equal(res.headers.connection, 'close', 'the unread rest of the body is not drained');
    req.destroy();
    await until('the analysis to stop and free its slots', async () => {
      const m = await scrapeMetrics(fast);
      return m.get('ser_sessions_active') === 0 && m.get('ser_analyze_in_flight') === 0;
    });
    const m = await scrapeMetrics(fast);
    assert.equal(m.get('ser_sessions_total{outcome="error"}'), 1, 'the analysis ended with its error');
    assert.equal(m.get('ser_analyze_requests_total{status="413"}'), 1, 'counted as 413');
    const readBytes = m.get('ser_audio_received_bytes_total') ?? 0;
    assert.ok(readBytes > LIMIT_BYTES && readBytes <= LIMIT_BYTES + 128 * 1024, `read up to the limit and one socket read past it, got ${readBytes} bytes`);
  });

  it('bounded memory: 12 minutes sent flat out are read only as the analysis goes; the uploader is held back by TCP; leaving frees the slots', async () => {
    const body = toneS16(12 * 60); // 23 MB
    const req = request(`${paced.url}/v1/analyze?sampleRate=16000&encoding=pcm_s16le`, { method: 'POST' });
    req.on('error', () => undefined);
    const written = { bytes: 0 };
    void sendWithBackpressure(req, body, 65_536, written);
    // Running, a few seconds of audio in, and the uploader waiting for TCP to take more.
    await until('the analysis to be running with the uploader held back', async () => {
      const m = await scrapeMetrics(paced);
      return m.get('ser_sessions_active') === 1 && (m.get('ser_audio_received_seconds_total') ?? 0) >= 2 && req.writableNeedDrain;
    });
    const m = await scrapeMetrics(paced);
    const readBytes = m.get('ser_audio_received_bytes_total') ?? 0;
    const audioSeconds = m.get('ser_audio_received_seconds_total') ?? 0;
    // Paced at real time the analysis is seconds into 12 minutes; what the server has read is
    // what it fed (the pace), one hop and a second ahead, and the request's buffers: a small
    // part of the body, whatever its length. The rest waits in the uploader (TCP backpressure).
    assert.ok(readBytes < body.length / 8, `read ${readBytes} of ${body.length} bytes while ${audioSeconds} s in`);
    assert.ok(written.bytes < body.length, `the uploader could hand TCP only ${written.bytes} of ${body.length} bytes`);
    assert.ok(req.writableNeedDrain, 'the uploader is waiting for TCP');
    // The uploader goes away (abortively, so the server sees it at its next read of the socket).
    req.socket?.resetAndDestroy();
    await until('the analysis to stop and free its slots', async () => {
      const now = await scrapeMetrics(paced);
      return now.get('ser_sessions_active') === 0 && now.get('ser_analyze_in_flight') === 0;
    });
    const end = await scrapeMetrics(paced);
    assert.equal(end.get('ser_sessions_total{outcome="client_closed"}'), 1, 'counted as client_closed');
    assert.equal(end.get('ser_analyze_requests_total{status="499"}'), 1, 'counted as 499');
    assert.ok((end.get('ser_audio_received_bytes_total') ?? 0) < body.length / 4, 'the rest of the body was never read');
    await until('the worker to drop the stream', async () => (await paced.modelStats()).sessions === 0);
  });
});
