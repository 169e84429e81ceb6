/**
 * The container image (deploy/Dockerfile).
 *
 * Always: the Dockerfile runs as a numeric non-root user, with exec-form ENTRYPOINT (tini)
 * and CMD so SIGTERM reaches node, a HEALTHCHECK on /healthz, no npm in the runtime stage,
 * the shipped default model, and every source file the server imports (its import graph,
 * from esbuild) inside a COPY of the runtime stage.
 *
 * With SER_TEST_IMAGE=1 (needs podman and buildah, a Debian mirror and the npm registry;
 * minutes; root): builds the image, runs it (podman run, or where the OCI runtime cannot
 * start containers, chroot into its read-only root as its user with tini as PID 1 — see
 * fleet/image.ts), streams a clip through it (results, final, summary), then SIGTERM → the
 * server drains and exits 0. SER_BASE_IMAGE picks the base (e.g. the
 * debootstrap one from deploy/image/make_base.sh, `localhost/ser-base:trixie`).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { build } from 'esbuild';
import { DEFAULT_MODEL_DIR } from '../../models/registry.js';
import { freePort } from '../../loadtest/server_process.js';
import { FIXTURES, streamWav, until } from '../helpers/server.js';
import { IMAGE_COMMAND, IMAGE_USER, buildImage, imageLog, runImage } from './fleet/image.js';
import { DEPLOY_DIR, REPO_ROOT, skipUnless } from './fleet/tools.js';

const DOCKERFILE = join(DEPLOY_DIR, 'Dockerfile');

/** The instructions of the last stage (the runtime image). */
function runtimeStage(dockerfile: string): string[] {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const from = lines.map((l, i) => (l.startsWith('FROM ') ? i : -1)).filter((i) => i >= 0).at(-1) ?? 0;
  return lines.slice(from);
}

const jsonArray = (text: string): string[] => JSON.parse(text) as string[];

describe('container image', () => {
  it('Dockerfile: non-root, exec form + tini, HEALTHCHECK on /healthz, no npm at run time', async () => {
    const stage = runtimeStage(await readFile(DOCKERFILE, 'utf8'));
    assert.match(stage[0] ?? '', / AS runtime$/);
    const get = (word: string): string[] => stage.filter((l) => l.startsWith(`${word} `)).map((l) => l.slice(word.length + 1).trim());
    assert.deepEqual(get('USER'), [IMAGE_USER]);
    assert.notEqual(IMAGE_USER.split(':')[0], '0');
    const [entrypoint] = get('ENTRYPOINT');
    const [cmd] = get('CMD');
    assert.ok(entrypoint !== undefined && cmd !== undefined);
    assert.deepEqual([...jsonArray(entrypoint), ...jsonArray(cmd)], IMAGE_COMMAND, 'exec form: tini, then node (no shell to swallow SIGTERM)');
    const [healthcheck] = get('HEALTHCHECK');
    assert.match(healthcheck ?? '', /CMD \["node", .*\/healthz/);
    assert.ok(!stage.some((l) => l.startsWith('RUN ') && /\bnpm\b/.test(l)), 'no npm in the runtime stage');
    assert.ok(get('COPY').some((c) => c.startsWith('--from=prod-deps /src/node_modules ')), 'production dependencies only');
  });

  it('the runtime stage copies the default model and every file the server imports', async () => {
    const stage = runtimeStage(await readFile(DOCKERFILE, 'utf8'));
    const sources = stage
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.slice(5).trim().split(/\s+/).slice(0, -1));
    const covered = (file: string): boolean =>
      sources.some((src) => (src.includes('*') ? new RegExp(`^${src.replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}$`).test(file) : file === src || file.startsWith(`${src}/`)));
    assert.ok(covered(relative(REPO_ROOT, join(DEFAULT_MODEL_DIR, 'weights.bin'))), `the default model ${relative(REPO_ROOT, DEFAULT_MODEL_DIR)} is in the image`);
    const result = await build({
      entryPoints: [join(REPO_ROOT, 'server/main.ts'), join(REPO_ROOT, 'server/workers/worker.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      metafile: true,
      write: false,
      outdir: join(tmpdir(), 'ser-image-graph'),
      logLevel: 'silent',
    });
    const files = Object.keys(result.metafile.inputs).map((p) => relative(REPO_ROOT, join(process.cwd(), p)));
    assert.ok(files.length > 50, `${files.length} files in the server's import graph`);
    const missing = files.filter((f) => !covered(f));
    assert.deepEqual(missing, [], 'files the server imports that the image lacks');
  });

  const skip = process.env.SER_TEST_IMAGE === '1' ? skipUnless(['podman', 'buildah'], 'apt-get install podman buildah') : 'set SER_TEST_IMAGE=1 to build and run the image (podman + buildah, a Debian mirror and the npm registry; takes minutes)';
  it('builds, runs, streams a clip, drains on SIGTERM', { skip, timeout: 1_200_000 }, async (t) => {
    buildImage(process.env.SER_BASE_IMAGE);
    const dir = await mkdtemp(join(tmpdir(), 'ser-image-'));
    const port = await freePort();
    const image = await runImage(port, imageLog(dir));
    t.diagnostic(`image run with: ${image.how}`);
    try {
      await until('the image to answer /readyz', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0)) === 200, 120_000);
      const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { status: string };
      assert.equal(health.status, 'ok');
      // The image's own HEALTHCHECK command, run inside it: healthy now.
      const healthcheck = jsonArray(/HEALTHCHECK .*?CMD (\[.*\])$/m.exec((await readFile(DOCKERFILE, 'utf8')).replace(/\\\n\s*/g, ' '))?.[1] ?? '[]');
      assert.equal(image.exec(healthcheck), 0, `HEALTHCHECK ${healthcheck.join(' ')} passes`);
      const out = await streamWav(`ws://127.0.0.1:${port}/v1/stream`, FIXTURES.angry, { seed: 3 });
      assert.ok(out.results.length > 5, `${out.results.length} results`);
      assert.equal(out.final?.final, true);
      assert.ok(out.summary !== undefined && out.summary.durationMs > 0);
      assert.deepEqual(out.errors, []);
    } finally {
      const code = await image.stop();
      assert.equal(code, 0, `SIGTERM reached node through tini and it exited 0 (log: ${imageLog(dir)})`);
    }
    assert.match(await readFile(imageLog(dir), 'utf8'), /"msg":"signal received; draining"/);
  });
});
