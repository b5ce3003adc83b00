// `npm run simulate`: runs seeded schedules and reports every violation
// with its seed, a short trace and the command that replays it.
//   SIM_SEED=n          replay one seed, printing its whole trace
//   SIM_SCHEDULES=n     how many schedules (default 1000), seeds from SIM_FROM (default 1)
//   SIM_FAULTS=a,b      fault families (default all): lost delay stall moves loading down errors metadata
//   SIM_FEATURES=a,b    workload features (default all): idempotent acks0 txn txn2 offsets overlap wrap
//   SIM_SHOW=n          violating seeds printed in full (default 3); the rest are counted by kind
//   SIM_WORKERS=n       threads (default: the machine's available parallelism)
//   SIM_REGRESSIONS=1   run the seeds that found each known hole (regressions.ts)

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { runSchedule } from './simulate.js';
import { REGRESSIONS } from './regressions.js';
import type { Found, FromWorker, WorkerJob } from './worker.js';
import { FAULT_FAMILIES, FEATURES, type FaultFamily, type Feature, type SimOptions } from './schedule.js';

function listFrom<T extends string>(name: string, all: readonly T[]): Set<T> {
  const raw = process.env[name];
  if (raw === undefined || raw === 'all') return new Set(all);
  if (raw === '' || raw === 'none') return new Set();
  const chosen = raw.split(',').map((s) => s.trim());
  for (const c of chosen) if (!all.includes(c as T)) throw new Error(`${name}: unknown "${c}"; known: ${all.join(', ')}`);
  return new Set(chosen as T[]);
}

function intFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got ${raw}`);
  return n;
}

/** A violation's kind: its words, numbers and record values left out. */
function kindOf(line: string): string {
  return line
    .split('\n')[0]!
    .replace(/\d[\d.:]*/g, '#')
    .replace(/\(.*?\)/g, '')
    .replace(/\s+/g, ' ')
    .slice(0, 110);
}

async function main(): Promise<void> {
  const opts: SimOptions = { faults: listFrom<FaultFamily>('SIM_FAULTS', FAULT_FAMILIES), features: listFrom<Feature>('SIM_FEATURES', FEATURES) };
  const only = process.env.SIM_SEED;
  const flags = `SIM_FAULTS=${[...opts.faults].join(',') || 'none'} SIM_FEATURES=${[...opts.features].join(',') || 'none'}`;
  if (process.env.SIM_REGRESSIONS) {
    let failing = 0;
    for (const r of REGRESSIONS) {
      const o: SimOptions = {
        faults: new Set(r.faults === 'all' ? FAULT_FAMILIES : r.faults),
        features: new Set(r.features === 'all' ? FEATURES : r.features),
      };
      const result = await runSchedule(r.seed, o);
      const still = result.violations.some((v) => v.includes(r.found));
      if (result.violations.length > 0) failing++;
      const how = result.violations.length === 0 ? 'passes' : still ? 'still fails as found' : `fails otherwise: ${result.violations[0]?.split('\n')[0]?.slice(0, 160)}`;
      console.log(`finding ${r.finding}: seed ${r.seed} (SIM_FAULTS=${[r.faults].flat().join(',') || 'none'} SIM_FEATURES=${[r.features].flat().join(',')}): ${how}`);
    }
    console.log(`${REGRESSIONS.length - failing} of ${REGRESSIONS.length} regression seeds pass`);
    process.exitCode = failing === 0 ? 0 : 1;
    return;
  }
  if (only !== undefined) {
    const seed = intFrom('SIM_SEED', 0);
    const r = await runSchedule(seed, opts);
    console.log(r.trace.join('\n'));
    console.log(r.violations.length === 0 ? `seed ${seed}: no violation (${r.steps} steps, ${r.virtualMs} virtual ms)` : r.violations.map((v) => `VIOLATION seed=${seed}: ${v}`).join('\n'));
    process.exitCode = r.violations.length === 0 ? 0 : 1;
    return;
  }
  const count = intFrom('SIM_SCHEDULES', 1000);
  const from = intFrom('SIM_FROM', 1);
  const show = intFrom('SIM_SHOW', 3);
  const workers = Math.max(1, Math.min(intFrom('SIM_WORKERS', availableParallelism()), count));
  console.log(`simulate: ${count} schedules from seed ${from} on ${workers} thread(s); ${flags}`);
  const kinds = new Map<string, { count: number; first: number; index: number; line: string }>();
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  // Seeds dealt round-robin to the threads; what they find is reported in seed order.
  const found: Found[] = [];
  let steps = 0;
  await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const seeds = Array.from({ length: Math.ceil((count - w) / workers) }, (_, k) => from + w + k * workers);
      const job: WorkerJob = { seeds, faults: [...opts.faults], features: [...opts.features] };
      const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: job });
      return new Promise<void>((resolve, reject) => {
        worker.on('message', (m: FromWorker) => {
          if (m.t === 'found') found.push(m.found);
          else steps += m.steps;
        });
        worker.on('error', reject);
        worker.on('exit', () => resolve());
      });
    }),
  );
  found.sort((a, b) => a.seed - b.seed);
  for (const [n, f] of found.entries()) {
    const index = f.seed - from + 1;
    for (const v of f.violations) {
      const k = kindOf(v);
      const known = kinds.get(k);
      if (known) known.count++;
      else kinds.set(k, { count: 1, first: f.seed, index, line: v });
    }
    if (n >= show) continue;
    // A seed is a bug report only if it replays: run it again, alone, on this thread, and compare.
    const again = await runSchedule(f.seed, opts);
    const replays = again.trace.slice(-25).join('\n') === f.trace.join('\n');
    console.log(`\nVIOLATION seed=${f.seed} (schedule ${index}): ${f.violations[0]}`);
    if (!replays) console.log(`  NOT DETERMINISTIC: seed ${f.seed} run again gave another trace (a source of time or chance the runtime does not own)`);
    for (const v of f.violations.slice(1, 5)) console.log(`  also: ${v.split('\n')[0]}`);
    console.log(`  plan: ${f.plan}`);
    console.log(`  trace (last 25 lines):\n${f.trace.map((l) => `    ${l}`).join('\n')}`);
    console.log(`  replay: SIM_SEED=${f.seed} ${flags} npm run simulate`);
  }
  const violating = found.length;
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `\nsimulate: ${count} schedules in ${seconds.toFixed(1)} s (${(count / seconds).toFixed(0)} schedules/s; ${cpuSeconds.toFixed(1)} CPU s, ${(count / cpuSeconds).toFixed(0)} per CPU second; ${Math.round(steps / count)} steps each), ${violating} with violations`,
  );
  for (const [kind, k] of [...kinds].sort((a, b) => a[1].index - b[1].index)) {
    console.log(`  ${String(k.count).padStart(5)}x first seed=${k.first} (schedule ${k.index}): ${k.line.split('\n')[0]!.slice(0, 220)}`);
    void kind;
  }
  process.exitCode = violating === 0 ? 0 : 1;
}

await main();
