// bench:eos part 1: what idempotence costs our producer. The same runner as
// `npm run bench` (bench/clients/ours.ts, worker host, defaults otherwise,
// acks 'all') with enableIdempotence true and false, each run in a fresh
// process on a fresh topic. The two variants alternate within every round and
// take turns going first, so a drift of the shared machine, or the broker
// warming up, falls on both alike.

import path from 'node:path';
import type { Job, RunResult } from './job.js';
import { ROOT } from './machine.js';
import { PARTITIONS, uniqueName, type IdemResults, type IdemRow, type IdemVariantId, type IdemWorkload } from './eos-model.js';
import { lastJsonLine, runProcess } from './proc.js';
import type { Topics } from '../scripts/kafka/topics.js';

const RUNNER = path.join(ROOT, 'dist', 'bench', 'clients', 'ours.js');
const VARIANTS: IdemVariantId[] = ['idempotent', 'non-idempotent'];

export function idemWorkloads(scale: number): IdemWorkload[] {
  return [
    { id: '100b', title: '100 B values, keyless', records: 1_000_000 / scale, valueSize: 100 },
    { id: '1k', title: '1 KiB values, keyless', records: 200_000 / scale, valueSize: 1024 },
  ];
}

/** One run on a fresh topic; it counts only if the topic then holds exactly the records sent. */
async function runOnce(topics: Topics, bootstrap: string, w: IdemWorkload, variant: IdemVariantId): Promise<RunResult> {
  const topic = uniqueName(`${w.id}-${variant}`);
  await topics.create(topic, PARTITIONS);
  try {
    const job: Job = {
      mode: 'throughput',
      bootstrap,
      topic,
      records: w.records,
      valueSize: w.valueSize,
      // Each variant's warm-up run stands for it here (see above).
      warmupRecords: 0,
      keyed: false,
      rate: 0,
      options: { worker: true, enableIdempotence: variant === 'idempotent' },
    };
    const timeoutMs = 120_000 + w.records * 0.2;
    const result = lastJsonLine<RunResult>(await runProcess(process.execPath, [RUNNER, JSON.stringify(job)], timeoutMs), timeoutMs);
    if (!result.ok) return result;
    // No transactions here, so the latest offsets count records only: a loss or a duplicate shows.
    const landed = await topics.count(topic, PARTITIONS);
    return landed === w.records ? result : { ok: false, error: `the topic holds ${landed} of ${w.records} records sent` };
  } finally {
    await topics.delete(topic).catch((err: Error) => process.stderr.write(`bench:eos: could not delete ${topic}: ${err.message}\n`));
  }
}

function say(w: IdemWorkload, round: string, variant: IdemVariantId, r: RunResult): void {
  const what = r.ok ? `${Math.round(w.records / (r.wallMs / 1000)).toLocaleString('en-US')} records/s` : `FAILED ${r.error.split('\n')[0]}`;
  process.stdout.write(`[idempotence ${w.id}] ${round} ${variant}: ${what}\n`);
}

export async function benchIdempotence(topics: Topics, bootstrap: string, rounds: number, scale: number): Promise<IdemResults> {
  const results: IdemResults = { rounds, rows: [], how: {} };
  for (const w of idemWorkloads(scale)) {
    const row: IdemRow = { workload: w, outcomes: { idempotent: { runs: [], failures: [] }, 'non-idempotent': { runs: [], failures: [] } }, roundRatios: [] };
    // One uncounted run each first, as `npm run bench` does: a first run after a pause (cold caches, the broker's JIT) would weigh on one variant.
    for (const v of VARIANTS) say(w, 'warm-up', v, await runOnce(topics, bootstrap, w, v));
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? VARIANTS : [...VARIANTS].reverse();
      const perSec: Partial<Record<IdemVariantId, number>> = {};
      for (const v of order) {
        const r = await runOnce(topics, bootstrap, w, v);
        say(w, `round ${round}/${rounds}`, v, r);
        if (r.ok) {
          row.outcomes[v].runs.push(r);
          results.how[v] ??= r.how;
          perSec[v] = w.records / r.wallMs;
        } else {
          row.outcomes[v].failures.push(r.error);
        }
      }
      if (perSec.idempotent !== undefined && perSec['non-idempotent'] !== undefined) row.roundRatios.push(perSec.idempotent / perSec['non-idempotent']);
    }
    results.rows.push(row);
  }
  return results;
}
