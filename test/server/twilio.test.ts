/**
 * Twilio Media Streams ingest (`GET /v1/twilio`) with a client written from Twilio's
 * published message format (connected, start with mediaFormat / tracks / customParameters,
 * media with base64 8 kHz µ-law per track, mark, stop, then the socket closes): both tracks
 * of a call become channels, a watcher found by callSid sees both channels' results — each
 * equal to that track streamed alone — and the summary; keys via URL or custom parameter.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { EmotionMessage, SummaryMessage } from '../../shared/protocol.js';
import type { WatchMessage } from '../../shared/watch.js';
import type { RunningServer } from '../../server/app.js';
import { listSessions, watch } from '../../client/sdk/node.js';
import { channelResults, clipPair, encodeSamples, streamBytes } from '../helpers/channels.js';
import { twilioSignature } from '../../server/telephony/twilio_signature.js';
import { FIXTURES, assertResultsClose, startTestServer, until } from '../helpers/server.js';

const KEY = 'twilio-test-key';
const ACCOUNT_SID = 'AC00000000000000000000000000000001';
/** Twilio sends 20 ms of 8 kHz µ-law per media message. */
const MEDIA_BYTES = 160;

/** A Media Streams peer: Twilio's side of the socket, as its documentation describes it. */
class TwilioPeer {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private sequenceNumber = 0;
  private readonly chunks = new Map<string, number>();

  constructor(url: string, readonly streamSid: string, readonly callSid: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers });
    this.ws.on('error', () => undefined);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  private send(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(message));
  }

  private next(): string {
    this.sequenceNumber += 1;
    return String(this.sequenceNumber);
  }

  connected(): void {
    this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  }

  start(tracks: string[], customParameters: Record<string, string>, mediaFormat: Record<string, unknown> = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }): void {
    this.send({
      event: 'start',
      sequenceNumber: this.next(),
      start: { accountSid: ACCOUNT_SID, streamSid: this.streamSid, callSid: this.callSid, tracks, customParameters, mediaFormat },
      streamSid: this.streamSid,
    });
  }

  media(track: string, payload: Uint8Array, timestampMs: number): void {
    const chunk = (this.chunks.get(track) ?? 0) + 1;
    this.chunks.set(track, chunk);
    this.send({
      event: 'media',
      sequenceNumber: this.next(),
      media: { track, chunk: String(chunk), timestamp: String(timestampMs), payload: Buffer.from(payload).toString('base64') },
      streamSid: this.streamSid,
    });
  }

  mark(name: string): void {
    this.send({ event: 'mark', sequenceNumber: this.next(), streamSid: this.streamSid, mark: { name } });
  }

  stop(): void {
    this.send({ event: 'stop', sequenceNumber: this.next(), streamSid: this.streamSid, stop: { accountSid: ACCOUNT_SID, callSid: this.callSid } });
  }
}

describe('Twilio Media Streams ingest', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer({ apiKeys: [KEY] });
  });
  after(async () => {
    await server.close();
  });
  const twilioUrl = (query = ''): string => server.wsUrl.replace('/v1/stream', `/v1/twilio${query}`);

  it('streams both tracks of a call; a watcher found by callSid sees both channels, each equal to its track alone (a paused track filled with silence)', async () => {
    const [inbound, outbound] = await clipPair(FIXTURES.angry, FIXTURES.neutral, 8_000);
    const [inBytes, outBytes] = [encodeSamples(inbound, 'mulaw'), encodeSamples(outbound, 'mulaw')];
    const peer = new TwilioPeer(twilioUrl(), 'MZ00000000000000000000000000000001', 'CA00000000000000000000000000000001');
    await peer.opened;
    peer.connected();
    peer.start(['inbound', 'outbound'], { token: KEY, agentId: 'agent-7' });

    await until('the call is listed', async () => (await listSessions({ url: server.url, token: KEY }, { callSid: peer.callSid })).length === 1);
    const [info] = await listSessions({ url: server.url, token: KEY }, { callSid: peer.callSid });
    assert.equal(info?.source, 'twilio');
    assert.deepEqual(info?.externalIds, { agentId: 'agent-7', streamSid: peer.streamSid, callSid: peer.callSid, accountSid: ACCOUNT_SID }, 'the key is not shown');
    assert.deepEqual(info?.channels.map((c) => c.channelLabel), ['inbound', 'outbound']);
    const seen: WatchMessage[] = [];
    const watched = new Promise((resolve) => {
      watch(info?.id ?? '', { url: server.url, token: KEY }).subscribe({ next: (m) => seen.push(m), complete: () => resolve(null), error: (e: unknown) => resolve(e) });
    });
    await until('the watcher subscribed', () => seen.length > 0);

    // The outbound track pauses for a second (no messages; its timestamps go on): the gap
    // is filled with silence, so the channel equals the track with that second silent.
    const paused = (t: number): boolean => t >= 1000 && t < 2000;
    for (let at = 0, t = 0; at < inBytes.length; at += MEDIA_BYTES, t += 20) {
      peer.media('inbound', inBytes.subarray(at, at + MEDIA_BYTES), t);
      if (!paused(t)) peer.media('outbound', outBytes.subarray(at, at + MEDIA_BYTES), t);
      if (t % 1000 === 0) peer.mark(`t${t}`);
    }
    peer.stop();
    // Twilio closes the socket right after `stop`: the received audio is still finished.
    peer.ws.close(1000);
    assert.equal(await watched, null, 'the watch stream completes');

    const emotions = seen.filter((m): m is EmotionMessage => m.type === 'emotion');
    assert.ok(emotions.every((m) => m.channelLabel === (m.channel === 0 ? 'inbound' : 'outbound')));
    const mono = { sampleRate: 8_000, encoding: 'mulaw' as const, channels: 1 as const };
    const [aloneIn, aloneOut] = await Promise.all([
      streamBytes(`${server.wsUrl}?token=${KEY}`, mono, inBytes, 7),
      streamBytes(`${server.wsUrl}?token=${KEY}`, mono, outBytes.slice().fill(0xff, 8 * 1000, 8 * 2000), 8),
    ]);
    assertResultsClose(channelResults(emotions, 0), aloneIn.results, 'inbound track');
    assertResultsClose(channelResults(emotions, 1), aloneOut.results, 'outbound track');
    const summary = seen.find((m): m is SummaryMessage => m.type === 'summary');
    assert.deepEqual(summary?.channels?.map((c) => [c.channel, c.channelLabel, c.dominant]), [
      [0, 'inbound', aloneIn.summary?.dominant],
      [1, 'outbound', aloneOut.summary?.dominant],
    ]);
    assert.deepEqual(seen.at(-1), { type: 'ended', outcome: 'completed' });
  });

  it('a hang-up without stop still finishes the received audio for the watchers', async () => {
    const [inbound] = await clipPair(FIXTURES.happy, FIXTURES.neutral, 8_000);
    const bytes = encodeSamples(inbound, 'mulaw');
    const peer = new TwilioPeer(twilioUrl(`?token=${KEY}`), 'MZ9', 'CA9');
    await peer.opened;
    peer.start(['inbound'], {});
    await until('the call is listed', async () => (await listSessions({ url: server.url, token: KEY }, { callSid: 'CA9' })).length === 1);
    const [info] = await listSessions({ url: server.url, token: KEY }, { callSid: 'CA9' });
    const seen: WatchMessage[] = [];
    const watched = new Promise((resolve) => watch(info?.id ?? '', { url: server.url, token: KEY }).subscribe({ next: (m) => seen.push(m), complete: () => resolve(null), error: resolve }));
    await until('the watcher subscribed', () => seen.length > 0);
    for (let at = 0, t = 0; at < bytes.length; at += MEDIA_BYTES, t += 20) peer.media('inbound', bytes.subarray(at, at + MEDIA_BYTES), t);
    peer.ws.close(1001);
    assert.equal(await watched, null);
    const alone = await streamBytes(`${server.wsUrl}?token=${KEY}`, { sampleRate: 8_000, encoding: 'mulaw', channels: 1 }, bytes, 3);
    assertResultsClose(channelResults(seen.filter((m): m is EmotionMessage => m.type === 'emotion'), 0), alone.results, 'after a hang-up');
    assert.equal(seen.at(-2)?.type, 'summary');
    assert.deepEqual(seen.at(-1), { type: 'ended', outcome: 'completed' });
  });

  it('a key in the URL works too; without a key the start is refused (close 1008 unauthorized)', async () => {
    const keyed = new TwilioPeer(twilioUrl(`?token=${KEY}`), 'MZ2', 'CA2');
    await keyed.opened;
    keyed.connected();
    keyed.start(['inbound'], {});
    await until('the keyed call is listed', async () => (await listSessions({ url: server.url, token: KEY }, { callSid: 'CA2' })).length === 1);
    keyed.stop();
    assert.equal((await keyed.closed).code, 1000);

    const anonymous = new TwilioPeer(twilioUrl(), 'MZ3', 'CA3');
    await anonymous.opened;
    anonymous.connected();
    anonymous.start(['inbound'], { token: 'wrong' });
    assert.deepEqual(await anonymous.closed, { code: 1008, reason: 'unauthorized' });

    const wrongUrlKey = new TwilioPeer(twilioUrl('?token=wrong'), 'MZ4', 'CA4');
    assert.equal((await wrongUrlKey.closed).code, 1008);
  });

  it('refuses formats and messages it cannot take, with stable codes', async () => {
    const wideband = new TwilioPeer(twilioUrl(`?token=${KEY}`), 'MZ5', 'CA5');
    await wideband.opened;
    wideband.start(['inbound'], {}, { encoding: 'audio/l16', sampleRate: 16000, channels: 1 });
    assert.deepEqual(await wideband.closed, { code: 1003, reason: 'unsupported_format' });

    const early = new TwilioPeer(twilioUrl(`?token=${KEY}`), 'MZ6', 'CA6');
    await early.opened;
    early.media('inbound', new Uint8Array(160), 0);
    assert.deepEqual(await early.closed, { code: 1008, reason: 'bad_message' });
  });
});

describe('Twilio request signature (twilioAuthToken set)', () => {
  const AUTH_TOKEN = 'twilio-auth-token-for-tests';
  let server: RunningServer;
  before(async () => {
    server = await startTestServer({ apiKeys: [KEY], twilioAuthToken: AUTH_TOKEN });
  });
  after(async () => {
    await server.close();
  });

  it('admits a stream signed for its URL; refuses a wrong or missing X-Twilio-Signature (1008 unauthorized)', async () => {
    const url = `ws://127.0.0.1:${server.port}/v1/twilio`;
    const signed = new TwilioPeer(url, 'MZ7', 'CA7', { 'X-Twilio-Signature': twilioSignature(AUTH_TOKEN, url) });
    await signed.opened;
    signed.connected();
    signed.start(['inbound'], { token: KEY });
    await until('the signed call is listed', async () => (await listSessions({ url: server.url, token: KEY }, { callSid: 'CA7' })).length === 1);
    signed.stop();
    assert.equal((await signed.closed).code, 1000);

    for (const headers of [{ 'X-Twilio-Signature': twilioSignature('another-token', url) }, {}] as Record<string, string>[]) {
      const peer = new TwilioPeer(url, 'MZ8', 'CA8', headers);
      assert.deepEqual(await peer.closed, { code: 1008, reason: 'unauthorized' });
    }
  });
});
