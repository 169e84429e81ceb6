/**
 * The evaluation's POST /v1/analyze client (models/eval/analyze_client.ts): a connection the
 * server closes under a request is sent again, up to three attempts in all (an analysis is stateless), and a failure
 * says what failed rather than fetch's bare "fetch failed".
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { analyze } from '../../models/eval/analyze_client.js';

const INPUT = { bytes: new Uint8Array(320), encoding: 'pcm_s16le' as const, sampleRateHz: 16000 };
const ANSWER = { results: [], summary: { type: 'summary' } };

describe('analyze client', () => {
  let server: Server;
  let url = '';
  /** How many of the next requests get their socket destroyed without an answer. */
  let dropNext = 0;
  let requests = 0;

  before(async () => {
    server = createServer((req, res) => {
      requests += 1;
      req.resume();
      req.on('end', () => {
        if (dropNext > 0) {
          dropNext -= 1;
          req.socket.destroy();
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(ANSWER));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends a request again when the server closes the connection under it (twice here), and says so', async () => {
    dropNext = 2;
    requests = 0;
    const retries: string[] = [];
    const answer = await analyze(url, INPUT, { hopMs: 250, smoothing: 0.5, onRetry: (reason) => retries.push(reason) });
    assert.deepEqual(answer, ANSWER, 'the third answer');
    assert.equal(requests, 3, 'three requests reached the server');
    assert.equal(retries.length, 2, 'two retries reported');
    assert.match(retries[0]!, /POST \/v1\/analyze: fetch failed \((UND_ERR_SOCKET|ECONNRESET|EPIPE): /, `the cause is named: ${retries[0]}`);
  });

  it('gives up after the third closed connection with the cause in the message', async () => {
    dropNext = 3;
    requests = 0;
    await assert.rejects(analyze(url, INPUT, { hopMs: 250, smoothing: 0.5 }), /POST \/v1\/analyze: fetch failed \((UND_ERR_SOCKET|ECONNRESET|EPIPE): /);
    assert.equal(requests, 3, 'three attempts, no more');
  });

  it('does not retry a refused connection (nothing listening): the cause is named', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const retries: string[] = [];
    await assert.rejects(analyze(`http://127.0.0.1:${port}`, INPUT, { hopMs: 250, smoothing: 0.5, onRetry: (r) => retries.push(r) }), /POST \/v1\/analyze: fetch failed \(ECONNREFUSED: /);
    assert.equal(retries.length, 0, 'no retry');
  });
});
