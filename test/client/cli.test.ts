/**
 * The `ser` CLI as users run it (a child process through client/cli/bin.js) against the
 * real server: --help for every command, `stream` (JSON lines and plain), `analyze` on a
 * directory, and failures: unreadable file, unreachable server, missing API key.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../server/app.js';
import { FIXTURES, FIXTURES_DIR, startTestServer } from '../helpers/server.js';

const BIN = fileURLToPath(new URL('../../client/cli/bin.js', import.meta.url));

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', SER_URL: '', SER_TOKEN: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
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

describe('ser CLI', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer({ apiKeys: ['cli-key'] });
  });
  after(async () => {
    await server.close();
  });

  test('--help for every command', async () => {
    for (const [args, heading] of [
      [['--help'], 'Usage: ser <command>'],
      [['stream', '--help'], 'Usage: ser stream <file.wav>'],
      [['analyze', '--help'], 'Usage: ser analyze <file-or-dir>'],
      [['help', 'analyze'], 'Usage: ser analyze'],
    ] as const) {
      const run = await runCli([...args]);
      assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
      assert.ok(run.stdout.includes(heading), `${args.join(' ')} prints ${heading}`);
    }
    const bad = await runCli(['stream', '--bogus']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bogus/);
  });

  test('stream --json: ready, one line per result, summary', async () => {
    const run = await runCli(['stream', FIXTURES.angry, '--url', server.wsUrl, '--json'], { SER_TOKEN: 'cli-key' });
    assert.equal(run.code, 0, run.stderr);
    const lines = jsonLines(run.stdout);
    assert.equal(lines[0]?.type, 'ready');
    assert.equal(lines.at(-1)?.type, 'summary');
    const results = lines.filter((l) => l.type === 'emotion');
    assert.ok(results.length >= 10, `got ${results.length} results`);
    for (const r of results) assert.equal(Object.keys(r.probs as object).length, server.model.labels.length);
    assert.equal(results.at(-1)?.final, true);
  });

  test('stream without --json prints a readable line per result and the summary', async () => {
    const run = await runCli(['stream', FIXTURES.neutral, '--url', server.url, '--token', 'cli-key', '--realtime', '--speed', '10']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^session \S+ · model /m);
    assert.match(run.stdout, /top \w+ 0\.\d\d/);
    assert.match(run.stdout, /dominant \w+/);
  });

  test('analyze <dir> --json: final distribution and summary per file', async () => {
    const run = await runCli(['analyze', FIXTURES_DIR, '--url', server.wsUrl, '--token', 'cli-key', '--json', '--concurrency', '2']);
    assert.equal(run.code, 0, run.stderr);
    const lines = jsonLines(run.stdout);
    assert.deepEqual(
      lines.map((l) => l.file),
      Object.values(FIXTURES).sort(),
    );
    for (const line of lines) {
      assert.equal(line.type, 'file');
      assert.equal((line.final as { final?: boolean }).final, true);
      assert.equal((line.summary as { type: string }).type, 'summary');
    }
    const human = await runCli(['analyze', FIXTURES.happy, '--url', server.wsUrl, '--token', 'cli-key']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /final distribution:/);
    assert.match(human.stdout, /dominant/);
  });

  test('analyze exits 1 when a file fails, and still analyses the others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ser-cli-'));
    try {
      await copyFile(FIXTURES.neutral, join(dir, 'a-good.wav'));
      await writeFile(join(dir, 'b-broken.wav'), 'this is not a RIFF file');
      const run = await runCli(['analyze', dir, '--url', server.wsUrl, '--token', 'cli-key', '--json']);
      assert.equal(run.code, 1);
      const [good, broken] = jsonLines(run.stdout);
      assert.equal(good?.type, 'file');
      assert.equal(broken?.type, 'error');
      assert.equal(broken?.code, 'unsupported_format');
      assert.match(run.stderr, /b-broken\.wav: unsupported_format/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('server errors and unreachable servers exit 1 with the code', async () => {
    const denied = await runCli(['stream', FIXTURES.neutral, '--url', server.wsUrl, '--json']);
    assert.equal(denied.code, 1);
    assert.deepEqual(
      jsonLines(denied.stdout).map((l) => [l.type, l.code, l.retryable]),
      [['error', 'unauthorized', false]],
    );
    const nowhere = await runCli(['analyze', FIXTURES.neutral, '--json'], { SER_URL: 'ws://127.0.0.1:9/v1/stream' });
    assert.equal(nowhere.code, 1);
    assert.equal(jsonLines(nowhere.stdout)[0]?.code, 'connection_failed');
  });
});
