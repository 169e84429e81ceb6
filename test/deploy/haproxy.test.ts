/**
 * deploy/haproxy/haproxy.cfg as shipped: `haproxy -c` accepts it with its defaults and with
 * the fleet test's replicas swapped in; it balances by leastconn, checks /readyz, retries a
 * refused connection elsewhere, and its tunnel timeout is an inactivity limit of at least an
 * hour. (The fleet test runs it for real.)
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HAPROXY_TEMPLATE, renderHaproxyConfig } from './fleet/haproxy.js';
import { run, skipUnless, which } from './fleet/tools.js';

const noHaproxy = skipUnless(['haproxy'], 'apt-get install haproxy');

/** A duration such as `1h`, `30s`, `500ms` or `10m`, in ms. */
function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text);
  assert.ok(m !== null, `a duration, got ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms'] ?? 1;
  return Number(m[1]) * unit;
}

describe('HAProxy configuration', () => {
  it('balances by leastconn, checks /readyz, redispatches refused connections, tunnel timeout ≥ 1 h', async () => {
    const cfg = await readFile(HAPROXY_TEMPLATE, 'utf8');
    const lines = cfg.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    const has = (directive: string): string | undefined => lines.find((l) => l.startsWith(directive));
    assert.ok(has('balance leastconn'));
    assert.ok(has('option httpchk'));
    assert.match(has('http-check send') ?? '', /uri \/readyz/);
    assert.equal(has('http-check expect'), 'http-check expect status 200');
    assert.ok(has('option redispatch'));
    assert.match(has('retry-on') ?? '', /conn-failure/);
    assert.ok(durationMs((has('timeout tunnel') ?? '').split(/\s+/)[2] ?? '') >= 3_600_000);
    assert.match(has('http-request deny') ?? '', /path_beg \/metrics/, '/metrics is not served through the balancer');
  });

  it('renders the fleet test\'s replicas in place of the marked server lines, and nothing else', async () => {
    const template = await readFile(HAPROXY_TEMPLATE, 'utf8');
    const rendered = await renderHaproxyConfig([
      { name: 'a', address: '127.0.0.1:1001' },
      { name: 'b', address: '127.0.0.1:1002' },
    ]);
    const servers = rendered.split('\n').filter((l) => /^\s+server /.test(l)).map((l) => l.trim());
    assert.deepEqual(servers, ['server a 127.0.0.1:1001', 'server b 127.0.0.1:1002']);
    const strip = (text: string): string[] => text.split('\n').filter((l) => !/^\s+server /.test(l));
    assert.deepEqual(strip(rendered), strip(template));
  });

  it('haproxy -c accepts it as shipped and as the fleet test renders it', { skip: noHaproxy }, async () => {
    const haproxy = which('haproxy') ?? 'haproxy';
    assert.match(run(haproxy, ['-c', '-f', HAPROXY_TEMPLATE]), /Configuration file is valid/);
    const dir = await mkdtemp(join(tmpdir(), 'ser-haproxy-'));
    const file = join(dir, 'haproxy.cfg');
    await writeFile(file, await renderHaproxyConfig([{ name: 'ser1', address: '127.0.0.1:1001' }]));
    const env = { ...process.env, SER_LB_BIND: '127.0.0.1:18080', SER_LB_STATS_BIND: '127.0.0.1:18404', SER_LB_CHECK_INTER: '500ms' };
    assert.match(run(haproxy, ['-c', '-f', file], { env }), /Configuration file is valid/);
  });
});
