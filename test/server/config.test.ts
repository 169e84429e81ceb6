/** Configuration from env and flags (server/config_sources.ts), validated (server/config_resolve.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveConfig } from '../../server/config_resolve.js';
import { configFromEnvAndArgs } from '../../server/config_sources.js';

describe('configuration', () => {
  it('reads env, then flags over env, and validates', () => {
    const partial = configFromEnvAndArgs(
      { PORT: '9000', HOST: '127.0.0.1', SER_MODE: 'naive', SER_API_KEYS: 'a, b', SER_SMOOTHING: '0.25' },
      ['--port', '9100', '--max-sessions=7', '--engine', 'cpu'],
    );
    const config = resolveConfig(partial);
    assert.equal(config.port, 9100);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.mode, 'naive');
    assert.deepEqual(config.apiKeys, ['a', 'b']);
    assert.equal(config.defaultSmoothing, 0.25);
    assert.equal(config.maxSessions, 7);
    assert.equal(config.engine, 'cpu');
    assert.throws(() => configFromEnvAndArgs({}, ['--prot', '1']), /expected one of the flags/);
    assert.throws(() => resolveConfig({ port: 70_000 }), /port: expected an integer in 0–65535, got 70000/);
    assert.throws(() => resolveConfig({ mode: 'fast' as never }), /mode: expected one of streaming, naive/);
    assert.throws(() => resolveConfig(configFromEnvAndArgs({ SER_WORKERS: 'two' }, [])), /workers/);
    const layout = resolveConfig(configFromEnvAndArgs({}, ['--batch-window-ms', '0']));
    assert.equal(layout.batchWindowMs, 0);
    assert.throws(() => configFromEnvAndArgs({}, ['--dsp-thread', 'main']), /expected one of the flags/, 'one thread layout: no --dsp-thread');
    assert.throws(() => resolveConfig({ batchWindowMs: 500 }), /batchWindowMs: expected a number in 0–100, got 500/);
  });
});
