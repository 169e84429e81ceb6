/**
 * The host's CPU over a sampling window, from Linux /proc/stat: how busy the machine was
 * (every process, not only the server and generator) and how much time the hypervisor
 * stole. A latency episode with high steal is the host's, not the server's.
 * `hostCpuOf` is pure; `readCpuTimes` is the only reader of /proc.
 */
import { readFileSync } from 'node:fs';

/** Cumulative jiffies of the aggregate `cpu` line. */
export interface CpuTimes {
  total: number;
  idle: number;
  iowait: number;
  steal: number;
}

/** Share of the window's CPU time, percent of all cores: busy (this guest's processes and kernel), steal, iowait. */
export interface HostCpu {
  busyPct: number;
  stealPct: number;
  iowaitPct: number;
}

/** Parses /proc/stat's first line (`cpu user nice system idle iowait irq softirq steal …`); null when absent. */
export function parseCpuTimes(procStat: string): CpuTimes | null {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) return null;
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (f.length < 8 || f.some((x) => !Number.isFinite(x))) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle, iowait, steal };
}

/** The window between two readings; null when either is missing or no time passed. */
export function hostCpuOf(prev: CpuTimes | null, cur: CpuTimes | null): HostCpu | null {
  if (prev === null || cur === null) return null;
  const total = cur.total - prev.total;
  if (!(total > 0)) return null;
  const pct = (x: number): number => (100 * x) / total;
  const idle = cur.idle - prev.idle;
  const iowait = cur.iowait - prev.iowait;
  const steal = cur.steal - prev.steal;
  return { busyPct: pct(total - idle - iowait - steal), stealPct: pct(steal), iowaitPct: pct(iowait) };
}

/** This host's counters now; null off Linux. */
export function readCpuTimes(): CpuTimes | null {
  try {
    return parseCpuTimes(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return null;
  }
}
