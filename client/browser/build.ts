/**
 * Bundles the dashboard into client/browser/dist/ (served by the server at `/`):
 * app.js (page), capture-worklet.js (AudioWorklet, loaded by URL), index.html, styles.css;
 * wallboard.js, wallboard.html, wallboard.css (the supervisor's wallboard, served at /wallboard).
 * Run with `npm run build:client`; tests call `buildClient()`.
 * The bundle targets the browser platform, so a Node-only import (e.g. `ws`) fails the build.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export const BROWSER_DIR = fileURLToPath(new URL('.', import.meta.url));
export const DIST_DIR = join(BROWSER_DIR, 'dist');
/** Files copied as they are. */
const STATIC_FILES = ['index.html', 'styles.css', 'wallboard.html', 'wallboard.css'];

export interface BuildOptions {
  /** Minify the bundles. Default true. */
  minify?: boolean;
}

export async function buildClient(options: BuildOptions = {}): Promise<string> {
  await rm(DIST_DIR, { recursive: true, force: true });
  await mkdir(DIST_DIR, { recursive: true });
  await build({
    entryPoints: {
      app: join(BROWSER_DIR, 'app.ts'),
      'capture-worklet': join(BROWSER_DIR, 'capture_worklet.ts'),
      wallboard: join(BROWSER_DIR, 'wallboard.ts'),
    },
    outdir: DIST_DIR,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // AudioWorklet and ES2022 class fields: every browser with AudioWorklet has these.
    target: ['chrome100', 'firefox110', 'safari16'],
    minify: options.minify ?? true,
    sourcemap: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  await Promise.all(STATIC_FILES.map((f) => copyFile(join(BROWSER_DIR, f), join(DIST_DIR, f))));
  return DIST_DIR;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = await buildClient();
  console.log(`client built into ${dir}`);
}
