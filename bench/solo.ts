// npm run bench:solo: our producer alone on one throughput workload, for
// before/after comparisons and profiles. Each run is a fresh process on a
// fresh topic, checked against what landed; with several builds given, runs
// alternate between them (A B A B) so that the machine's drift spreads over
// all. Prints records/s and CPU seconds per million records per run, then
// medians.
//
//   node dist/bench/solo.js [ROOT ...]   builds to compare (default: this one); each ROOT
//                                        is a checkout built with npm run build
//   SOLO_WORKLOAD=1k|1k-keyed|100b|100b-keyed   (default 1k)
//   SOLO_COMPRESSION=lz4|zstd|snappy|gzip   compress (JSON-like values, as npm run bench's compressed workloads)
//   SOLO_RUNS=3        runs per build
//   SOLO_RECORDS=N     records per run (default: the workload's, as in npm run bench)
//                      (each run first sends the workload's warm-up records, untimed, as npm run bench does)
//   SOLO_PROFILE=DIR   run each client under --cpu-prof into DIR/<build>-<run>/ and
//                      print the top self-time functions of each thread

import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { broker } from './broker.js';
import type { BenchCodec, Job, RunResult } from './job.js';
import { ROOT } from './machine.js';
import { lastJsonLine, runProcess } from './proc.js';
import { THROUGHPUT_SIZES, type ThroughputSize } from './throughput-workloads.js';
import { Topics } from '../scripts/kafka/topics.js';

const PARTITIONS = 6;
const TOP = 10;

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** The functions with the most self time in one .cpuprofile, as printable lines. */
function topSelf(file: string): string[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frame = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const f = frame.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    if (!f) return;
    const where = f.url ? ` ${f.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'}${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function main(): Promise<void> {
  const workloadId = process.env.SOLO_WORKLOAD ?? '1k';
  const sizes: Record<string, ThroughputSize> = THROUGHPUT_SIZES;
  const workload = sizes[workloadId];
  if (!workload) throw new Error(`SOLO_WORKLOAD ${workloadId}: one of ${Object.keys(sizes).join(', ')}`);
  const records = Number(process.env.SOLO_RECORDS ?? workload.records);
  const runs = Math.max(1, Number(process.env.SOLO_RUNS ?? 3));
  const profileDir = process.env.SOLO_PROFILE;
  const compression = process.env.SOLO_COMPRESSION as BenchCodec | undefined;
  const codec = compression ? { compression, values: 'json' as const } : {};
  const roots = process.argv.length > 2 ? process.argv.slice(2).map((r) => path.resolve(r)) : [ROOT];
  const b = await broker();
  const topics = new Topics(b.bootstrap, 'kafka-producer-ts-bench');
  const results = roots.map(() => ({ rate: [] as number[], cpu: [] as number[] }));
  try {
    console.log(`bench:solo: ${workloadId}${compression ? ` (${compression}, JSON values)` : ''}, ${records} records after ${workload.warmupRecords} to warm up, ${runs} runs per build, worker, batchSize 16384, lingerMs 5, acks all; ${b.description}`);
    for (let run = 1; run <= runs; run++) {
      for (const [i, root] of roots.entries()) {
        const label = roots.length > 1 ? `build ${i + 1} (${path.basename(root)})` : 'ours';
        const topic = `solo-${workloadId}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
        await topics.create(topic, PARTITIONS);
        const job: Job = { mode: 'throughput', bootstrap: b.bootstrap, topic, records, valueSize: workload.valueSize, keyed: workload.keyed, rate: 0, warmupRecords: workload.warmupRecords, ...codec, options: { worker: true } };
        const dir = profileDir && path.join(path.resolve(profileDir), `${path.basename(root)}-${run}`);
        if (dir) mkdirSync(dir, { recursive: true });
        const args = [...(dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []), path.join(root, 'dist', 'bench', 'clients', 'ours.js'), JSON.stringify(job)];
        const timeoutMs = 120_000 + (records + workload.warmupRecords) * 0.2;
        const r = lastJsonLine<RunResult>(await runProcess(process.execPath, args, timeoutMs), timeoutMs);
        const landed = r.ok ? await topics.count(topic, PARTITIONS) : 0;
        await topics.delete(topic);
        if (!r.ok) throw new Error(`${label}, run ${run}: ${r.error}`);
        // A build from before the bench warmed up reports no warmupRecords: it sent none.
        const sent = records + (r.ok ? (r.warmupRecords ?? 0) : 0);
        if (landed !== sent) throw new Error(`${label}, run ${run}: the topic holds ${landed} of ${sent} records`);
        const rate = records / (r.wallMs / 1000);
        const cpu = (r.cpuMs ?? NaN) / 1000 / (records / 1e6);
        results[i]?.rate.push(rate);
        results[i]?.cpu.push(cpu);
        console.log(`run ${run} ${label}: ${Math.round(rate).toLocaleString('en-US')} records/s, ${cpu.toFixed(2)} CPU s per million records`);
        if (dir) {
          // Node names a profile CPU.<date>.<pid>.<thread id>.<n>.cpuprofile: thread 0 is the main thread.
          for (const f of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
            const thread = f.split('.')[4] === '0' ? 'main thread' : 'worker';
            console.log(`  top ${TOP} self time, ${thread} (${path.join(dir, f)}):\n${topSelf(path.join(dir, f)).map((l) => `    ${l}`).join('\n')}`);
          }
        }
      }
    }
    for (const [i, root] of roots.entries()) {
      const r = results[i] as { rate: number[]; cpu: number[] };
      console.log(
        `median ${roots.length > 1 ? `build ${i + 1} (${root})` : 'ours'}: ${Math.round(median(r.rate)).toLocaleString('en-US')} records/s ` +
          `(${r.rate.map((x) => Math.round(x)).join(', ')}), ${median(r.cpu).toFixed(2)} CPU s per million records (${r.cpu.map((x) => x.toFixed(2)).join(', ')})`,
      );
    }
  } finally {
    await topics.close();
    await b.stop();
  }
}

await main();
