/**
 * The image, built and run with podman/buildah. Running prefers `podman run` (the image's
 * own ENTRYPOINT, tini as PID 1); where the machine's OCI runtime cannot start containers
 * (seen on a Firecracker VM: crun and runc both fail setting rlimits), it enters the image's
 * root file system itself: read-only, a tmpfs on /tmp, the image's user, new mount and PID
 * namespaces (so tini is PID 1), the image's ENTRYPOINT + CMD. Needs root.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, run, which } from './tools.js';

export const IMAGE_TAG = 'localhost/speech-emotion-stream:test';
/** The Dockerfile's ENTRYPOINT + CMD and USER (kept in step by image.test.ts). */
export const IMAGE_COMMAND = ['/usr/bin/tini', '--', 'node', '--import', 'tsx', 'server/main.ts'];
export const IMAGE_USER = '10001:10001';

export function buildImage(baseImage: string | undefined): string {
  const args = ['build', '--isolation=chroot', '--network=host', '-f', 'deploy/Dockerfile', '--format', 'docker', '-t', IMAGE_TAG];
  if (baseImage !== undefined) args.push('--build-arg', `BASE_IMAGE=${baseImage}`);
  // Behind a TLS-intercepting proxy npm needs the machine's CA (a build secret, not a layer).
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  if (ca !== undefined && ca !== '') args.push('--secret', `id=ca,src=${ca}`);
  return run(which('podman') ?? 'podman', [...args, '.'], { cwd: REPO_ROOT, timeoutMs: 900_000 });
}

export interface RunningImage {
  how: 'podman run' | 'chroot into the image, read-only root, tini as PID 1';
  child: ChildProcess;
  /** Sends SIGTERM to the image's PID 1 (tini) and resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Runs `command` inside the image (its user, its file system), returns the exit status. */
  exec(command: readonly string[]): number;
}

export async function runImage(port: number, logFile: string): Promise<RunningImage> {
  const env = ['-e', `PORT=${port}`, '-e', 'HOST=127.0.0.1', '-e', 'SER_WORKERS=1'];
  const log = createWriteStream(logFile);
  const exited = (child: ChildProcess): Promise<number | null> => new Promise((resolve) => child.once('close', (code) => resolve(code)));
  const closeLog = (): Promise<void> => new Promise((resolve) => log.end(() => resolve()));
  const podman = which('podman');
  if (podman !== null) {
    const child = spawn(podman, ['run', '--rm', '--name', 'ser-image-test', '--network=host', ...env, IMAGE_TAG], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const done = exited(child);
    const early = await Promise.race([done, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 5000))]);
    if (early === 'running') {
      return {
        how: 'podman run',
        child,
        exec: (command) => status(podman, ['exec', 'ser-image-test', ...command]),
        stop: async () => {
          run(podman, ['kill', '--signal', 'TERM', 'ser-image-test']);
          const code = await done;
          await closeLog();
          return code;
        },
      };
    }
    run(podman, ['rm', '--force', '--ignore', 'ser-image-test']);
  }
  // No OCI runtime: the image's root file system (buildah mount), read-only as the
  // Kubernetes manifest has it, with a tmpfs on /tmp, entered with chroot as its user in new
  // mount and PID namespaces — tini is PID 1 there, as in a container.
  const buildah = which('buildah') ?? 'buildah';
  const container = run(buildah, ['from', IMAGE_TAG]).trim().split('\n').at(-1) ?? '';
  const root = run(buildah, ['mount', container]).trim();
  const envArgs = env.filter((_, i) => i % 2 === 1);
  const script = [
    'set -e',
    `mount --bind ${root} ${root}`,
    `mount -o remount,bind,ro ${root}`,
    `mount -t tmpfs -o size=256m,mode=1777 tmpfs ${root}/tmp`,
    `mount -t proc proc ${root}/proc`,
    `mount --rbind /dev ${root}/dev`,
    `exec chroot --userspec=${IMAGE_USER} ${root} /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production HOME=/app ${envArgs.join(' ')} /bin/sh -c 'cd /app && exec ${IMAGE_COMMAND.join(' ')}'`,
  ].join('\n');
  const child = spawn('unshare', ['--mount', '--pid', '--fork', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const done = exited(child);
  return {
    how: 'chroot into the image, read-only root, tini as PID 1',
    child,
    exec: (command) => status('chroot', [`--userspec=${IMAGE_USER}`, root, '/usr/bin/env', '-i', 'PATH=/usr/local/bin:/usr/bin:/bin', ...envArgs, ...command]),
    stop: async () => {
      // tini, PID 1 of the namespace: it forwards SIGTERM to node. (Unless it already exited.)
      const tini = spawnSync('pgrep', ['-f', '-n', `^${IMAGE_COMMAND.join(' ')}`], { encoding: 'utf8' }).stdout.trim();
      if (child.exitCode === null && tini !== '') process.kill(Number(tini), 'SIGTERM');
      const code = await done;
      run(buildah, ['umount', container]);
      run(buildah, ['rm', container]);
      await closeLog();
      return code;
    },
  };
}

function status(command: string, args: readonly string[]): number {
  return spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 }).status ?? -1;
}

export function imageLog(dir: string): string {
  return join(dir, 'image.log');
}
