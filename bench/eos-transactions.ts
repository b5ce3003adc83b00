// bench:eos part 2: transactions of 1,000 records, ours beside the Java
// producer on the same broker and settings. Each run is a fresh process (a
// JVM for Java) with a fresh transactional id on a fresh topic; ours and Java
// alternate within every round and take turns going first. A run counts only
// if a read_committed consumer then reads exactly the records sent.

import path from 'node:path';
import type { Broker } from './broker.js';
import { PARTITIONS, uniqueName, type TxnResults, type TxnRun, type TxnSide, type TxnSideId } from './eos-model.js';
import { JavaTxnProducer } from './java-txn.js';
import { ourVersion, ROOT } from './machine.js';
import { lastJsonLine, runProcess } from './proc.js';
import { countCommitted } from './txn-broker.js';
import type { TxnFailure, TxnJob, TxnResult } from './txn-job.js';
import type { Topics } from '../scripts/kafka/topics.js';

const RUNNER = path.join(ROOT, 'dist', 'bench', 'clients', 'ours-txn.js');
const RECORDS_PER_TRANSACTION = 1000;
const VALUE_SIZE = 100;

const OURS_HOW =
  'bench/clients/ours-txn.ts: new KafkaProducer({ bootstrapServers, transactionalId }) with every other option at its default (worker thread, acks all, idempotent, lingerMs 5, batchSize 16384, no compression); initTransactions() and partitionsFor(topic) before timing, then per transaction beginTransaction(), send(record) without awaiting or a callback, await commitTransaction()';

async function runOurs(job: TxnJob, timeoutMs: number): Promise<TxnResult> {
  return lastJsonLine<TxnResult>(await runProcess(process.execPath, [RUNNER, JSON.stringify(job)], timeoutMs), timeoutMs);
}

interface Runner {
  side: TxnSide;
  run(job: TxnJob, timeoutMs: number): Promise<TxnResult>;
}

async function runOnce(topics: Topics, bootstrap: string, runner: Runner, transactions: number): Promise<TxnRun | TxnFailure> {
  const topic = uniqueName(`txn-${runner.side.id}`);
  await topics.create(topic, PARTITIONS);
  try {
    const job: TxnJob = { bootstrap, topic, transactionalId: uniqueName(`txn-id-${runner.side.id}`), transactions, recordsPerTransaction: RECORDS_PER_TRANSACTION, valueSize: VALUE_SIZE };
    const records = transactions * RECORDS_PER_TRANSACTION;
    const r = await runner.run(job, 120_000 + records);
    if (!r.ok) return r;
    const committedSeen = await countCommitted(bootstrap, topic, records);
    return committedSeen === records ? { ...r, committedSeen } : { ok: false, error: `read_committed sees ${committedSeen} of ${records} records committed` };
  } finally {
    await topics.delete(topic).catch((err: Error) => process.stderr.write(`bench:eos: could not delete ${topic}: ${err.message}\n`));
  }
}

function say(round: string, side: TxnSideId, r: TxnResult): void {
  const what = r.ok
    ? `${Math.round(r.records / (r.wallMs / 1000)).toLocaleString('en-US')} records/s, ${(r.transactions / (r.wallMs / 1000)).toFixed(1)} commits/s`
    : `FAILED ${r.error.split('\n')[0]}`;
  process.stdout.write(`[transactions] ${round} ${side}: ${what}\n`);
}

export async function benchTransactions(topics: Topics, b: Broker, rounds: number, scale: number): Promise<TxnResults> {
  const java = new JavaTxnProducer(b.libsDir);
  const runners: Runner[] = [
    { side: { id: 'ours', label: 'kafka-producer-ts', version: ourVersion(), how: OURS_HOW, outcome: { runs: [], failures: [] } }, run: runOurs },
    { side: { id: 'java', label: 'Java producer', version: `kafka-clients ${b.version}`, how: java.how, outcome: { runs: [], failures: [] } }, run: (j, t) => java.run(j, t) },
  ];
  const transactions = Math.max(1, Math.round(200 / scale));
  const results: TxnResults = { rounds, transactions, recordsPerTransaction: RECORDS_PER_TRANSACTION, valueSize: VALUE_SIZE, sides: runners.map((r) => r.side), roundRatios: [] };
  // One uncounted run each first, as `npm run bench` does: a first run after a pause (cold caches, the broker's JIT) would weigh on one side.
  for (const r of runners) say('warm-up', r.side.id, await runOnce(topics, b.bootstrap, r, transactions));
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? runners : [...runners].reverse();
    const perSec: Partial<Record<TxnSideId, number>> = {};
    for (const runner of order) {
      const r = await runOnce(topics, b.bootstrap, runner, transactions);
      say(`round ${round}/${rounds}`, runner.side.id, r);
      if (r.ok) {
        runner.side.outcome.runs.push(r);
        perSec[runner.side.id] = r.records / r.wallMs;
      } else {
        runner.side.outcome.failures.push(r.error);
      }
    }
    if (perSec.ours !== undefined && perSec.java !== undefined) results.roundRatios.push(perSec.ours / perSec.java);
  }
  return results;
}
