/**
 * The pure parts of the hardening: the pacer's token bucket on a fake clock, the
 * heartbeat's verdicts (a paused socket is exempt only while it progresses), the key list
 * failing closed, and the process itself refusing a blank SER_API_KEYS and stating its auth
 * mode at start-up.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { resolveConfig } from '../../server/config_resolve.js';
import { configFromEnvAndArgs } from '../../server/config_sources.js';
import { MAX_STALLED_BEATS, heartbeatVerdict, stalledBeats, type SocketBeat } from '../../server/session/liveness.js';
import { Pacer } from '../../server/session/pacer.js';
import { testModelDir } from '../helpers/server.js';

const ROOT = new URL('../../', import.meta.url);

describe('pacer', () => {
  it('a real-time stream never waits', () => {
    const pacer = new Pacer(4, 1, 0);
    for (let t = 0; t <= 60_000; t += 20) {
      assert.equal(pacer.waitMs(t), 0, `at ${t} ms`);
      pacer.fed(0.02, t);
    }
  });

  it('flat out: the burst goes at once, then at most `multiple` stream seconds per second', () => {
    const pacer = new Pacer(4, 1, 0);
    let t = 0;
    let fedSeconds = 0;
    // 60 s of audio in 0.25 s slices, each as soon as allowed.
    for (let i = 0; i < 240; i += 1) {
      const waitMs = pacer.waitMs(t);
      t += waitMs;
      assert.equal(pacer.waitMs(t), 0);
      pacer.fed(0.25, t);
      fedSeconds += 0.25;
      // Never more than the burst plus what the elapsed time allows (one slice of overdraft).
      assert.ok(fedSeconds <= 1 + (4 * t) / 1000 + 0.25 + 1e-9, `fed ${fedSeconds} s by ${t} ms`);
    }
    // (60 − 1 burst − one slice of overdraft) / 4 ≈ 14.7 s of wall time, within rounding.
    assert.ok(t >= 14_500 && t <= 15_000, `60 s at 4× took ${t} ms`);
  });

  it('credit never exceeds the burst, however long the session was quiet', () => {
    const pacer = new Pacer(2, 1, 0);
    pacer.fed(0.5, 0);
    assert.equal(pacer.waitMs(3_600_000), 0);
    pacer.fed(1.25, 3_600_000);
    assert.ok(pacer.waitMs(3_600_000) > 0, 'an hour of silence does not buy an hour of flat out');
  });

  it('lift() stops pacing (a drain)', () => {
    const pacer = new Pacer(1, 1, 0);
    pacer.fed(10, 0);
    assert.ok(pacer.waitMs(0) > 0);
    pacer.lift();
    assert.equal(pacer.waitMs(0), 0);
  });

  it('rejects a multiple below 1 and a non-positive burst', () => {
    assert.throws(() => new Pacer(0.5, 1, 0), /multiple: expected ≥ 1/);
    assert.throws(() => new Pacer(2, 0, 0), /burstSeconds: expected > 0/);
  });
});

describe('heartbeat verdicts', () => {
  const beat = (b: Partial<SocketBeat>): SocketBeat => ({
    answered: true,
    unansweredMs: 0,
    pausedSincePing: false,
    paused: false,
    progressed: false,
    stalledBefore: 0,
    ...b,
  });

  const TIMEOUT_MS = 300_000;

  it('an unpaused socket is pinged while it answers, dropped when it does not', () => {
    assert.equal(heartbeatVerdict(beat({ answered: true }), TIMEOUT_MS), 'ping');
    assert.equal(heartbeatVerdict(beat({ answered: false, unansweredMs: 30_000 }), TIMEOUT_MS), 'drop_dead');
  });

  it('a paused socket is pinged too, and answering keeps it alive however long it stays paused', () => {
    let stalled = 0;
    for (let i = 0; i < 1000; i += 1) {
      const b = beat({ paused: true, pausedSincePing: true, answered: true, progressed: true, stalledBefore: stalled });
      assert.equal(heartbeatVerdict(b, TIMEOUT_MS), 'ping');
      stalled = stalledBeats(b);
    }
  });

  it('a socket paused since its ping gets pausedPongTimeoutMs to answer, then is dropped as not reading', () => {
    const verdicts: string[] = [];
    for (let n = 1; n <= 10; n += 1) {
      // Still progressing (results go out), paused now or only at some moment since the ping.
      const b = beat({ answered: false, unansweredMs: n * 30_000, pausedSincePing: true, paused: n % 2 === 0, progressed: true });
      verdicts.push(heartbeatVerdict(b, TIMEOUT_MS));
    }
    assert.deepEqual(verdicts, [...Array<string>(9).fill('wait'), 'drop_unread']);
  });

  it(`a paused socket with no progress is dropped at the ${MAX_STALLED_BEATS}rd beat in a row, answered or not`, () => {
    for (const answered of [true, false]) {
      let stalled = 0;
      const verdicts: string[] = [];
      for (let i = 0; i < MAX_STALLED_BEATS; i += 1) {
        const b = beat({ paused: true, pausedSincePing: true, answered, unansweredMs: answered ? 0 : 30_000, stalledBefore: stalled });
        verdicts.push(heartbeatVerdict(b, TIMEOUT_MS));
        stalled = stalledBeats(b);
      }
      assert.deepEqual(verdicts.slice(-1), ['drop_stalled'], `answered ${answered}`);
      assert.ok(!verdicts.slice(0, -1).some((v) => v.startsWith('drop')), verdicts.join());
    }
    // One result in between resets the count.
    assert.equal(stalledBeats(beat({ paused: true, progressed: true, stalledBefore: MAX_STALLED_BEATS - 1 })), 0);
  });
});

describe('auth fails closed', () => {
  it('a key list that is set but blank is a configuration error, never "auth off"', () => {
    for (const raw of ['', ',', ' ', ' , ,']) {
      assert.throws(() => configFromEnvAndArgs({ SER_API_KEYS: raw }, []), /apiKeys: expected at least one non-empty key/, JSON.stringify(raw));
      assert.throws(() => configFromEnvAndArgs({}, [`--api-keys=${raw}`]), /apiKeys/, `flag ${JSON.stringify(raw)}`);
    }
    assert.deepEqual(resolveConfig(configFromEnvAndArgs({ SER_API_KEYS: ' a, ,b ' }, [])).apiKeys, ['a', 'b']);
    assert.deepEqual(resolveConfig(configFromEnvAndArgs({}, [])).apiKeys, [], 'unset: no auth, as documented');
  });

  it('the new limits parse and validate', () => {
    const config = resolveConfig(
      configFromEnvAndArgs(
        { SER_IDLE_TIMEOUT_MS: '5000', SER_MAX_UNSENT_BYTES: '65536', SER_METRICS_REQUIRE_KEY: 'true' },
        ['--max-real-time-multiple', '2.5', '--max-concurrent-analyses=3', '--paused-pong-timeout-ms', '90000'],
      ),
    );
    assert.equal(config.idleTimeoutMs, 5000);
    assert.equal(config.pausedPongTimeoutMs, 90_000);
    assert.equal(resolveConfig({}).pausedPongTimeoutMs, 300_000);
    assert.throws(() => resolveConfig({ pausedPongTimeoutMs: 50 }), /pausedPongTimeoutMs: expected an integer in 100–3600000, got 50/);
    assert.equal(config.maxUnsentBytes, 65_536);
    assert.equal(config.metricsRequireKey, true);
    assert.equal(config.maxRealTimeMultiple, 2.5);
    assert.equal(config.maxConcurrentAnalyses, 3);
    assert.throws(() => resolveConfig({ maxUnsentBytes: 100 }), /maxUnsentBytes: expected an integer in 16384–67108864, got 100/);
    assert.throws(() => resolveConfig({ maxRealTimeMultiple: 0.5 }), /maxRealTimeMultiple: expected a number in 1–10000, got 0.5/);
    assert.throws(() => resolveConfig(configFromEnvAndArgs({ SER_METRICS_REQUIRE_KEY: 'yes' }, [])), /metricsRequireKey: expected true or false/);
  });

  it('npm start with SER_API_KEYS="," exits 2 with the reason', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, SER_API_KEYS: ',' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let logs = '';
    child.stderr.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 2);
    assert.match(logs, /"msg":"bad configuration".*apiKeys: expected at least one non-empty key/);
  });

  it('the start-up log states the auth mode and the allowed origins', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'server/main.ts', '--port', '0', '--host', '127.0.0.1', '--model', await testModelDir(), '--workers', '1'],
      { cwd: ROOT, env: { ...process.env, SER_API_KEYS: 'k1,k2', SER_ALLOWED_ORIGINS: 'https://a.example' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let logs = '';
        child.stderr.on('data', (chunk: Buffer) => {
          logs += chunk.toString();
          const match = /^.*"msg":"listening".*$/m.exec(logs);
          if (match !== null) resolve(match[0]);
        });
        child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${logs}`)));
      });
      const entry = JSON.parse(line) as Record<string, unknown>;
      assert.equal(entry.auth, 'api_keys (2)');
      assert.equal(entry.allowedOrigins, 'https://a.example');
      assert.equal(entry.metrics, 'open');
      assert.ok(!line.includes('k1') && !line.includes('k2'), 'keys never appear in logs');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
