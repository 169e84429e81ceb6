/**
 * Graceful shutdown: `npm start`'s entry point, as a real process. SIGTERM stops admission
 * (/readyz 503), lets a live session finish the audio it sent (final result + summary,
 * close 1001) and exits 0. Also: the process logs JSON lines only, and no audio or result.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { FIXTURES, TestClient, isEmotion, isReady, isSummary, readWavPcm, testModelDir } from '../helpers/server.js';

describe('graceful shutdown', () => {
  it('SIGTERM: the live session gets its final result and summary, closes 1001; exit 0', async () => {
    const modelDir = await testModelDir();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'server/main.ts', '--port', '0', '--host', '127.0.0.1', '--model', modelDir, '--drain-grace-ms', '20000'],
      { cwd: new URL('../../', import.meta.url), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let logs = '';
    const listening = new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        logs += chunk.toString();
        const match = /"msg":"listening","url":"([^"]+)"/.exec(logs);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`server exited early with ${code}: ${logs}`)));
    });
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    try {
      const url = await listening;
      const pcm = await readWavPcm(FIXTURES.happy);
      const client = new TestClient(`${url.replace(/^http/, 'ws')}/v1/stream`);
      await client.opened;
      client.sendJson({ type: 'start', sampleRate: pcm.sampleRateHz, encoding: pcm.encoding, channels: pcm.channels });
      await client.waitFor(isReady);
      // Two seconds of the clip, no `end`: the session is live when the signal comes.
      const sent = pcm.data.subarray(0, 2 * 32_000 + 123);
      client.send(sent);
      await client.waitFor(isEmotion);

      child.kill('SIGTERM');
      const summary = await client.waitFor(isSummary);
      const { code } = await client.closed;
      assert.equal(code, 1001);
      const results = client.results;
      assert.equal(results.at(-1)?.final, true, 'the last result is final');
      assert.ok(Math.abs(summary.durationMs - (sent.length / 2 / 16)) < 1, `all ${sent.length} bytes were processed`);
      const readyz = await fetch(`${url}/readyz`).catch(() => null);
      assert.ok(readyz === null || readyz.status === 503, 'not ready while draining');

      const [exitCode] = await exited;
      assert.equal(exitCode, 0);
      // Logs: JSON lines only, with no probabilities or labels in them.
      for (const line of logs.trim().split('\n')) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        assert.ok(typeof entry.msg === 'string');
        assert.ok(!('probs' in entry) && !/"probs"|"top"|"arousal"/.test(line), `no results in logs: ${line}`);
      }
      assert.match(logs, /"msg":"signal received; draining"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
