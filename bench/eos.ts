// npm run bench:eos: what exactly-once costs. Part 1: our producer's
// throughput with idempotence on and off (acks 'all' both). Part 2:
// transactions of 1,000 records, ours beside the Java producer. Both parts
// run against one broker (bench/broker.ts), every run in a fresh process on a
// fresh topic, counted only when what reached the broker matches what was
// sent; the report goes to bench/results/EOS.md.
//
//   BENCH_ROUNDS=n       rounds of part 1 (default 5); part 2 runs min(n, 3)
//   BENCH_TXN_ROUNDS=n   rounds of part 2 (default 3, or as above)
//   BENCH_QUICK=1        smoke mode: a tenth of the records and transactions, one round unless the above say otherwise
//   KAFKA_BROKERS        use this cluster instead of the local one

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { broker } from './broker.js';
import { benchIdempotence } from './eos-idempotence.js';
import type { EosResults } from './eos-model.js';
import { renderEosReport } from './eos-report.js';
import { benchTransactions } from './eos-transactions.js';
import { machine, ourVersion, ROOT } from './machine.js';
import { brokerFacts } from './txn-broker.js';
import { Topics } from '../scripts/kafka/topics.js';

const QUICK = process.env.BENCH_QUICK === '1';
const SCALE = QUICK ? 10 : 1;

function rounds(name: string, fallback: number): number {
  const v = process.env[name];
  return v === undefined ? fallback : Math.max(1, Number(v));
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadAtStart = os.loadavg()[0] ?? 0;
  const idemRounds = rounds('BENCH_ROUNDS', QUICK ? 1 : 5);
  const txnRounds = rounds('BENCH_TXN_ROUNDS', Math.min(idemRounds, 3));
  const b = await broker();
  const topics = new Topics(b.bootstrap, 'kafka-producer-ts-bench');
  try {
    const before = await brokerFacts(b.bootstrap);
    const idempotence = await benchIdempotence(topics, b.bootstrap, idemRounds, SCALE);
    const transactions = await benchTransactions(topics, b, txnRounds, SCALE);
    // No answer at the end is a change too: the broker went away.
    const after = await brokerFacts(b.bootstrap).catch(() => null);
    const brokerChanged = after?.apis !== before.apis || after.transactionVersion !== before.transactionVersion;
    if (brokerChanged) process.exitCode = 1;
    const results: EosResults = {
      startedAt,
      finishedAt: new Date().toISOString(),
      quick: QUICK,
      machine: machine(),
      broker: b.description,
      transactionVersion: before.transactionVersion,
      brokerChanged,
      load: { start: loadAtStart, end: os.loadavg()[0] ?? 0 },
      ourVersion: ourVersion(),
      idempotence,
      transactions,
    };
    const dir = path.join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'EOS.md'), renderEosReport(results));
    process.stdout.write(`bench:eos: wrote ${path.relative(ROOT, path.join(dir, 'EOS.md'))}${brokerChanged ? ', but the broker changed during the run: measure again' : ''}\n`);
  } finally {
    await topics.close();
    await b.stop();
  }
}

await main();
