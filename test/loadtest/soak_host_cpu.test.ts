import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostCpuOf, parseCpuTimes, readCpuTimes } from '../../loadtest/soak/host_cpu.js';

describe('host CPU from /proc/stat', () => {
  it('parses the aggregate line and ignores the per-core ones', () => {
    const stat = 'cpu  100 5 50 800 20 3 2 10 0 0\ncpu0 50 2 25 400 10 1 1 5 0 0\nintr 1 2\n';
    assert.deepEqual(parseCpuTimes(stat), { total: 990, idle: 800, iowait: 20, steal: 10 }, 'user..steal summed; guest is already in user');
    assert.equal(parseCpuTimes('intr 1 2\n'), null, 'no cpu line');
    assert.equal(parseCpuTimes('cpu  1 2 x 4 5 6 7 8\n'), null, 'a field that is not a number');
  });

  it('gives busy, steal and iowait as shares of the window', () => {
    const a = { total: 1000, idle: 600, iowait: 0, steal: 0 };
    const b = { total: 1200, idle: 650, iowait: 10, steal: 30 };
    const h = hostCpuOf(a, b);
    assert.ok(h !== null, 'a window with time in it');
    assert.equal(h.busyPct, 55, '200 jiffies, 50 idle, 10 iowait, 30 stolen: 110 busy');
    assert.equal(h.stealPct, 15, '30 of 200');
    assert.equal(h.iowaitPct, 5, '10 of 200');
    assert.equal(hostCpuOf(b, b), null, 'no time passed');
    assert.equal(hostCpuOf(null, b), null, 'no first reading');
  });

  it('reads this machine (Linux)', { skip: process.platform !== 'linux' ? 'not Linux: no /proc/stat' : false }, () => {
    const t = readCpuTimes();
    assert.ok(t !== null && t.total > 0 && t.idle <= t.total, `counters ${JSON.stringify(t)}`);
  });
});
