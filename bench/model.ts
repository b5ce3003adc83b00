// What a benchmark run collects, and the statistics the report and the chart
// draw from it: medians with their spread over the rounds.

import type { BenchCodec, FirstWay, RunMetrics, ValueKind } from './job.js';
import type { Machine } from './machine.js';

export interface Workload {
  id: string;
  title: string;
  mode: 'throughput' | 'latency' | 'first-program';
  records: number;
  valueSize: number;
  keyed: boolean;
  /** Offered records per second (latency mode). */
  rate: number;
  /**
   * Records each client process sends before its clock starts (0 for the
   * first programs, which are about a program's whole life): every run is
   * a fresh process, and without them the timed section measured V8's and
   * the JVM's compilers warming up as much as the client.
   */
  warmupRecords: number;
  /** How the records are sent (first-program mode). */
  way?: FirstWay;
  /** Compressed workloads: the codec every client is asked for, and JSON-like values. */
  compression?: BenchCodec;
  values?: ValueKind;
}

export interface PeerInfo {
  id: string;
  label: string;
  version: string;
  /** How the client was driven, as its runner described it; null until it ran once. */
  how: string | null;
  /** Whether this row runs the client with its own default settings (the report's and chart's headline). */
  atDefaults: boolean;
  /** This project, another Node.js client, or a client in another language. */
  kind: 'ours' | 'node' | 'other';
  /** Why the client could not be installed or prepared; it then has no runs. */
  unavailable: string | null;
}

/** One client's runs of one workload (warm-up excluded). */
export interface Cell {
  runs: RunMetrics[];
  failures: string[];
  /** Why the client cannot run this workload at all (e.g. keys), instead of runs. */
  unsupported: string | null;
}

/** The clients with a row in workload `w`: those that take part in its mode. */
export function peersOf(r: Results, w: Workload): PeerInfo[] {
  return r.peers.filter((p) => r.cells[w.id]?.[p.id]);
}

export interface Results {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  rounds: number;
  machine: Machine;
  broker: string;
  workloads: Workload[];
  peers: PeerInfo[];
  cells: Record<string, Record<string, Cell>>;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: (number | null)[]): Spread | null {
  const v = values.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
  return { median, min: v[0] as number, max: v.at(-1) as number };
}

export interface Summary {
  recordsPerSec: Spread | null;
  mbPerSec: Spread | null;
  wireBytesPerRecord: Spread | null;
  cpuSecPerMillion: Spread | null;
  maxRssMb: Spread | null;
  loopP99Ms: Spread | null;
  p50Ms: Spread | null;
  p99Ms: Spread | null;
  p99SteadyMs: Spread | null;
  latencyPer: string | null;
}

export function summarize(w: Workload, cell: Cell | undefined): Summary {
  const runs = cell?.runs ?? [];
  const seconds = (r: RunMetrics) => r.wallMs / 1000;
  return {
    recordsPerSec: spread(runs.map((r) => w.records / seconds(r))),
    mbPerSec: spread(runs.map((r) => (w.records * w.valueSize) / 1e6 / seconds(r))),
    wireBytesPerRecord: spread(runs.map((r) => r.wireBytesPerRecord ?? null)),
    cpuSecPerMillion: spread(runs.map((r) => (r.cpuMs === null ? null : r.cpuMs / 1000 / (w.records / 1e6)))),
    maxRssMb: spread(runs.map((r) => r.maxRssMb)),
    loopP99Ms: spread(runs.map((r) => r.loopP99Ms)),
    p50Ms: spread(runs.map((r) => r.latency?.p50Ms ?? null)),
    p99Ms: spread(runs.map((r) => r.latency?.p99Ms ?? null)),
    p99SteadyMs: spread(runs.map((r) => r.latency?.p99SteadyMs ?? null)),
    latencyPer: runs[0]?.latency?.per ?? null,
  };
}

/** The client acknowledged per send call with the lowest median p50 in latency workload `w`: the per-call clients' best. */
export function bestPerCall(r: Results, w: Workload): { peer: PeerInfo; p50: Spread } | null {
  let best: { peer: PeerInfo; p50: Spread } | null = null;
  for (const peer of peersOf(r, w)) {
    const s = summarize(w, r.cells[w.id]?.[peer.id]);
    if (s.latencyPer !== 'send call' || !s.p50Ms) continue;
    if (!best || s.p50Ms.median < best.p50.median) best = { peer, p50: s.p50Ms };
  }
  return best;
}
