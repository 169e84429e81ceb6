/** What the soak samples, tallies and judges: report.json. Plain data only. */
import type { LoadtestReport } from '../types.js';
import type { HostCpu } from './host_cpu.js';

/** The server's figures at one sampling instant, over the window since the previous one. */
export interface SoakSample {
  /** Seconds since the churn began (0 = the baseline, before any client). */
  tSeconds: number;
  /** process_resident_memory_bytes, MiB. */
  rssMb: number | null;
  /** nodejs_heap_size_used_bytes, MiB. */
  heapUsedMb: number | null;
  /** Where the memory is, MiB: null from a server without ser_worker_memory_bytes, absent in reports written before it. */
  memory?: MemoryParts | null;
  /** ser_model_tensors: live tfjs tensors in the inference workers. */
  tensors: number | null;
  /** ser_sessions_active. */
  sessionsActive: number | null;
  /** Sessions the generator had open (normal and careless). */
  clientSessionsOpen: number;
  /** The whole host's CPU over the window (busy and hypervisor steal, % of all cores); null off Linux, absent in older reports. */
  hostCpu?: HostCpu | null;
  /** p99 of ser_event_loop_lag_seconds over the window, ms. */
  eventLoopLagP99Ms: number | null;
  /** p95 of ser_result_latency_seconds (the server's own turnaround) over the window, ms. */
  serverLatencyP95Ms: number | null;
  /** End-to-end latency of the results received in the window, ms (nearest rank). */
  latency: { count: number; p50Ms: number; p95Ms: number; p99Ms: number; maxMs: number };
}

/** RSS's known parts at one instant, MiB; what they leave of RSS is native and allocator memory. */
export interface MemoryParts {
  /** The main thread's V8 heap in use (nodejs_heap_size_used_bytes). */
  mainHeapMb: number;
  /** The inference workers' V8 heaps in use, summed. */
  workerHeapMb: number;
  /** ArrayBuffers and Buffers: the main thread's (nodejs_external_memory_bytes) and the workers'. */
  externalMb: number;
  /** tfjs-wasm linear memory, summed over the workers: a high-water mark, never returned. */
  wasmMb: number;
}

/** How the generator's sessions ended, by kind. */
export interface OutcomeTally {
  normal: {
    planned: number;
    /** Got `ready`. */
    started: number;
    /** final + summary, no error. */
    completed: number;
    /** First error of each session that had one, by code (protocol or generator code). */
    errorsByCode: Record<string, number>;
    missingFinals: number;
    missingSummaries: number;
    missingResults: number;
  };
  slowReaders: { planned: number; started: number; dropped: number; closeCodes: Record<string, number>; errorsByCode: Record<string, number> };
  idleClients: { planned: number; started: number; idleTimeouts: number; closeCodes: Record<string, number>; errorsByCode: Record<string, number> };
}

/** Server counters over the whole soak (final scrape − baseline scrape). */
export interface ServerDeltas {
  errorsByCode: Record<string, number>;
  timeoutsByKind: Record<string, number>;
  sessionsByOutcome: Record<string, number>;
  workerRestarts: number | null;
}

export interface SoakCheck {
  /** 'correctness' checks must hold on any machine; 'trend' checks are the flatness bar. */
  kind: 'correctness' | 'trend';
  name: string;
  pass: boolean;
  detail: string;
}

export interface SoakVerdict {
  pass: boolean;
  /** All correctness checks passed. */
  correct: boolean;
  /** All trend checks passed. */
  flat: boolean;
  /** Least-squares RSS slope over the second half of the churn (reported, not judged). */
  rssSlopeMbPerMin: number;
  /** Slope of RSS's floor (minimum per window) over the second half: the judged trend. */
  rssFloorSlopeMbPerMin: number;
  heapSlopeMbPerMin: number;
  tensorSlopePerMin: number;
  /**
   * Floor slope of each part of RSS and of what they leave (RSS − parts) over the second
   * half, MB/min: where a rising RSS comes from. Reported, not judged; null without the parts.
   */
  partFloorSlopesMbPerMin: (Record<keyof MemoryParts, number> & { rest: number }) | null;
  checks: SoakCheck[];
}

/** The server's state once the clients were gone. */
export interface SettleState {
  /** Seconds after the last client it took to reach the baseline (null: never within settleSeconds). */
  settledAfterSeconds: number | null;
  sessionsActive: number | null;
  tensors: number | null;
}

export interface SoakReport {
  tool: 'ser-soak';
  reportVersion: 1;
  createdAt: string;
  argv: string[];
  machine: LoadtestReport['machine'];
  options: Record<string, unknown>;
  server: { url: string; spawned: boolean };
  /** Figures after the warm-up, before the churn. */
  baseline: { sessionsActive: number | null; tensors: number | null; rssMb: number | null };
  settle: SettleState;
  wallSeconds: number;
  /** Length of the churn, s (`--minutes` × 60); the trends are judged on its second half. */
  churnSeconds: number;
  /** The load generator's own load: if it lagged, the latency figures include its lag. */
  generator: { workers: number; cpuCores: number; latenessP95Ms: number; eventLoopUtilization: number[] };
  samples: SoakSample[];
  tally: OutcomeTally;
  serverDeltas: ServerDeltas;
  verdict: SoakVerdict;
}
