/**
 * The outside programs the deploy tests drive (haproxy, prometheus, promtool, kubectl,
 * podman): where they are, or why a test skips. `.ci/run` installs the Debian ones, so in
 * CI nothing here skips for want of haproxy, prometheus or promtool.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DEPLOY_DIR = fileURLToPath(new URL('../../../deploy/', import.meta.url));

/** Absolute path of `command` on PATH (or in Debian's usual places), else null. */
export function which(command: string): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin']) {
    if (dir === '') continue;
    const path = `${dir}/${command}`;
    if (existsSync(path)) return path;
  }
  return null;
}

/**
 * `undefined` when every command exists, else the skip message that names the missing ones.
 * With SER_REQUIRE_DEPLOY_TOOLS=1 (.ci/run) nothing skips: a missing program fails the test.
 */
export function skipUnless(commands: readonly string[], install: string): string | undefined {
  const missing = commands.filter((c) => which(c) === null);
  if (missing.length === 0 || process.env.SER_REQUIRE_DEPLOY_TOOLS === '1') return undefined;
  return `needs ${missing.join(', ')} (not found on PATH; ${install})`;
}

/** Runs `command args…` and returns stdout; throws with stdout + stderr when it fails. */
export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): string {
  try {
    return execFileSync(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}
