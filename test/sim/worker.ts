// A worker thread of `npm run simulate`: runs every `stride`-th seed of the
// range and posts the violating ones back. Each thread has its own globals,
// so the runtime's replacements of time and chance stay within it.

import { parentPort, workerData } from 'node:worker_threads';
import { describePlan, runSchedule } from './simulate.js';
import type { FaultFamily, Feature } from './schedule.js';

export interface WorkerJob {
  seeds: number[];
  faults: FaultFamily[];
  features: Feature[];
}

export interface Found {
  seed: number;
  violations: string[];
  plan: string;
  trace: string[];
}

export type FromWorker = { t: 'found'; found: Found } | { t: 'done'; steps: number };

const job = workerData as WorkerJob;
const opts = { faults: new Set(job.faults), features: new Set(job.features) };
let steps = 0;
for (const seed of job.seeds) {
  const r = await runSchedule(seed, opts);
  steps += r.steps;
  if (r.violations.length > 0) parentPort?.postMessage({ t: 'found', found: { seed, violations: r.violations, plan: describePlan(r.plan), trace: r.trace.slice(-25) } } satisfies FromWorker);
}
parentPort?.postMessage({ t: 'done', steps } satisfies FromWorker);
