/**
 * The `ser` CLI for calls (a child process through client/cli/bin.js, real server):
 * `ser stream --channels 2 --channel-mode separate` on a stereo file, `ser sessions`
 * listing a live call, `ser watch <id>` following it to its end, and `ser watch` of an
 * unknown session failing with session_not_found.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../server/app.js';
import { clipPair, encodeSamples, interleave, stereoWav16 } from '../helpers/channels.js';
import { FIXTURES, TestClient, isReady, startTestServer, until } from '../helpers/server.js';

const BIN = fileURLToPath(new URL('../../client/cli/bin.js', import.meta.url));
const KEY = 'cli-watch-key';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], onStdout: (text: string) => void = () => undefined): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', SER_URL: '', SER_TOKEN: KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout(stdout);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('ser CLI: calls', () => {
  let server: RunningServer;
  let dir: string;
  let stereo: Uint8Array;
  before(async () => {
    server = await startTestServer({ apiKeys: [KEY] });
    dir = await mkdtemp(join(tmpdir(), 'ser-cli-watch-'));
    const [a, b] = await clipPair(FIXTURES.angry, FIXTURES.happy, 16_000);
    await writeFile(join(dir, 'call.wav'), stereoWav16(a, b, 16_000));
    stereo = interleave(encodeSamples(a, 'pcm_s16le'), encodeSamples(b, 'pcm_s16le'), 2);
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('ser stream --channels 2 --channel-mode separate: results per channel, summary per channel', async () => {
    const run = await runCli(['stream', join(dir, 'call.wav'), '--url', server.url, '--channels', '2', '--channel-mode', 'separate', '--channel-labels', 'agent,caller', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const lines = jsonLines(run.stdout);
    assert.equal(lines[0]?.type, 'ready');
    assert.equal(lines[0]?.channelMode, 'separate');
    const emotions = lines.filter((l) => l.type === 'emotion');
    assert.ok(emotions.some((l) => l.channel === 0 && l.channelLabel === 'agent'));
    assert.ok(emotions.some((l) => l.channel === 1 && l.channelLabel === 'caller'));
    const summary = lines.find((l) => l.type === 'summary') as { channels?: unknown[] } | undefined;
    assert.equal(summary?.channels?.length, 2);
    const plain = await runCli(['stream', join(dir, 'call.wav'), '--url', server.url, '--channel-mode', 'separate', '--channel-labels', 'agent,caller']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /\[agent\] .*top/);
    assert.match(plain.stdout, /channel 1 \(caller\): duration/);
    const mismatch = await runCli(['stream', join(dir, 'call.wav'), '--url', server.url, '--channels', '1']);
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, /--channels: expected the file to have 1 channel\(s\), got 2/);
  });

  test('ser sessions lists a live call; ser watch follows it to its end', async () => {
    const call = new TestClient(server.wsUrl, { headers: { Authorization: `Bearer ${KEY}` } });
    await call.opened;
    call.sendJson({ type: 'start', sampleRate: 16_000, encoding: 'pcm_s16le', channels: 2, channelMode: 'separate', channelLabels: ['agent', 'caller'], externalIds: { callId: 'cli-1' } });
    const { sessionId } = await call.waitFor(isReady);
    call.send(stereo.subarray(0, 64_000));

    const listed = await runCli(['sessions', '--url', server.url, '--filter', 'callId=cli-1', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const [list] = jsonLines(listed.stdout) as { sessions: { id: string }[] }[];
    assert.deepEqual(list?.sessions.map((s) => s.id), [sessionId]);
    const human = await runCli(['sessions', '--url', server.url]);
    assert.match(human.stdout, new RegExp(`${sessionId}  stream .*callId=cli-1`));
    assert.match(human.stdout, /agent: /);

    let watching = false;
    const watched = runCli(['watch', sessionId, '--url', server.url, '--json'], (out) => {
      watching ||= out.includes('"type":"watching"');
    });
    await until('ser watch subscribed', () => watching);
    call.send(stereo.subarray(64_000));
    call.sendJson({ type: 'end' });
    await call.closed;
    const run = await watched;
    assert.equal(run.code, 0, run.stderr);
    const lines = jsonLines(run.stdout);
    assert.equal(lines[0]?.type, 'watching');
    assert.ok(lines.some((l) => l.type === 'emotion' && l.channel === 1));
    assert.equal(lines.at(-2)?.type, 'summary');
    assert.deepEqual(lines.at(-1), { type: 'ended', outcome: 'completed' });
  });

  test('ser watch of an unknown session: exit 1, session_not_found', async () => {
    const run = await runCli(['watch', 'no-such-session', '--url', server.url]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /session_not_found/);
  });
});
