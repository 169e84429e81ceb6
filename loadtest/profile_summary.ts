/**
 * Where time goes in a V8 CPU profile (`node --cpu-prof`, or `--server-cpu-prof` of the
 * load generator): self time by function and by file, largest first.
 *
 *   node --import tsx loadtest/profile_summary.ts PROFILE.cpuprofile [--top 25]
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  selfMs: number;
  share: number;
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  return path.startsWith(REPO_ROOT) ? relative(REPO_ROOT, path) : path.replace(/^.*node_modules\//, 'node_modules/');
}

/** Self time per key (ms), from the sample → node attribution; pure. */
export function selfTimes(profile: CpuProfile, keyOf: (node: ProfileNode) => string): SelfTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const dtMs = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id);
    if (node === undefined) return;
    const key = keyOf(node);
    totals.set(key, (totals.get(key) ?? 0) + dtMs);
    all += dtMs;
  });
  return [...totals]
    .map(([name, selfMs]) => ({ name, selfMs, share: all > 0 ? selfMs / all : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs);
}

export const byFunction = (n: ProfileNode): string =>
  `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
export const byFile = (n: ProfileNode): string =>
  n.callFrame.url === '' ? n.callFrame.functionName || '(native)' : shortUrl(n.callFrame.url);

function table(rows: SelfTime[], top: number): string {
  return rows
    .slice(0, top)
    .map((r) => `${(r.share * 100).toFixed(1).padStart(5)}%  ${r.selfMs.toFixed(0).padStart(7)} ms  ${r.name}`)
    .join('\n');
}

async function main(argv: string[]): Promise<void> {
  const topIndex = argv.indexOf('--top');
  const top = topIndex >= 0 ? Number(argv[topIndex + 1]) : 25;
  const files = argv.filter((a, i) => a.endsWith('.cpuprofile') && argv[i - 1] !== '--top');
  if (files.length === 0) {
    console.error('usage: node --import tsx loadtest/profile_summary.ts PROFILE.cpuprofile… [--top 25]');
    process.exitCode = 2;
    return;
  }
  for (const file of files) {
    const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
    const wallMs = (profile.endTime - profile.startTime) / 1000;
    console.log(`\n${file}: ${wallMs.toFixed(0)} ms profiled`);
    console.log('— self time by file —');
    console.log(table(selfTimes(profile, byFile), Math.min(top, 15)));
    console.log('— self time by function —');
    console.log(table(selfTimes(profile, byFunction), top));
  }
}

if (process.argv[1] !== undefined && import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
