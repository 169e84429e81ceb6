/**
 * The engine a real server chose, and why it passed over the others, on /readyz and in
 * /metrics (ser_engine_skipped); a forced engine that cannot start stops the server at
 * start-up with the reason. Where no GPU adapter exists (CPU machines, CI) the webgpu engine
 * is among the skipped ones; on a GPU machine these tests are skipped (test/models/engine.test.ts
 * and bench/gpu_check.sh cover it there).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { RunningServer } from '../../server/app.js';
import { findWebGpuAdapter } from '../../models/engine_webgpu.js';
import { scrapeMetrics, startTestServer, testModelDir } from '../helpers/server.js';

const found = await findWebGpuAdapter();
const HAS_ADAPTER = 'reason' in found ? false : `Dawn found an adapter (${found.adapter}): webgpu may serve here`;

interface Readyz {
  status: string;
  engine: string;
  engineSkipped: { engine: string; reason: string; detail: string }[];
}

describe('engine fall-through on a real server (no GPU adapter)', { skip: HAS_ADAPTER }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer({ engine: 'auto', workers: 1 });
  });
  after(async () => {
    await server.close();
  });

  it('/readyz names the engine serving and every engine passed over, with the reason', async () => {
    const body = (await (await fetch(`${server.url}/readyz`)).json()) as Readyz;
    assert.equal(body.status, 'ready');
    assert.ok(['tfjs-node', 'wasm'].includes(body.engine), `got ${body.engine}`);
    const webgpu = body.engineSkipped.find((s) => s.engine === 'webgpu');
    assert.ok(webgpu !== undefined, `expected webgpu among ${JSON.stringify(body.engineSkipped)}`);
    assert.ok(['no_adapter', 'not_installed'].includes(webgpu.reason), `got ${webgpu.reason}`);
    assert.ok(webgpu.detail.length > 0);
    assert.ok(!body.engineSkipped.some((s) => s.engine === body.engine));
  });

  it('/metrics has ser_engine_skipped{engine,reason} 1 for each, and ser_model_info the engine serving', async () => {
    const body = (await (await fetch(`${server.url}/readyz`)).json()) as Readyz;
    const metrics = await scrapeMetrics(server);
    for (const skip of body.engineSkipped) {
      assert.equal(metrics.get(`ser_engine_skipped{engine="${skip.engine}",reason="${skip.reason}"}`), 1, `${skip.engine}`);
    }
    const skippedSeries = [...metrics.keys()].filter((k) => k.startsWith('ser_engine_skipped{'));
    assert.equal(skippedSeries.length, body.engineSkipped.length);
    assert.equal(metrics.get(`ser_model_info{model_id="${server.model.id}",engine="${body.engine}",mode="streaming"}`), 1);
  });

  it('a forced webgpu engine stops startServer with the reason', async () => {
    await assert.rejects(startTestServer({ engine: 'webgpu', workers: 1 }), /webgpu: (no_adapter \(Dawn found no GPU adapter|not_installed)/);
  });

  it('`--engine webgpu` stops the server process at start-up (exit 1), the reason in its log', async () => {
    const root = new URL('../../', import.meta.url).pathname;
    const args = ['--import', 'tsx', 'server/main.ts', '--engine', 'webgpu', '--port', '0', '--host', '127.0.0.1', '--workers', '1', '--model', await testModelDir()];
    const failed = await promisify(execFile)(process.execPath, args, { cwd: root, env: { ...process.env, SER_ENGINE: '' } }).then(
      () => null,
      (err: { code?: number; stderr?: string }) => err,
    );
    assert.ok(failed !== null, 'expected the server to exit');
    assert.equal(failed.code, 1);
    const line = (failed.stderr ?? '').split('\n').find((l) => l.includes('server failed to start'));
    assert.ok(line !== undefined, `expected a "server failed to start" log line, got:\n${failed.stderr}`);
    const log = JSON.parse(line) as { level: string; error: string };
    assert.equal(log.level, 'error');
    assert.match(log.error, /expected a usable tfjs engine among webgpu, none could start: webgpu: (no_adapter|not_installed)/);
  });
});
