// What the broker says about transactions, for bench:eos: which transactions
// protocol it has finalized (a Kafka 4.x client uses version 2, KIP-890, when
// the broker has it: no AddPartitionsToTxn round trip; we speak version 1),
// and how many records a read_committed consumer sees in a topic. The
// partitions' latest offsets would also count each transaction's commit
// markers, one per partition it wrote, so they cannot check a transactional
// run.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster } from '../src/network/cluster.js';
import { ApiVersions } from '../src/protocol/apis/api-versions.js';

const run = promisify(execFile);

export interface BrokerFacts {
  /** The finalized `transaction.version` feature level, or 0 when the broker has none (transactions v1 only). */
  transactionVersion: number;
  /** Every API and its version range: another Kafka release answers differently. */
  apis: string;
}

/**
 * What the broker answers to ApiVersions. Taken at the start and the end of a
 * run: on a shared machine the broker on the port can be replaced by another
 * release mid-run, and the numbers would then compare two brokers.
 */
export async function brokerFacts(bootstrap: string): Promise<BrokerFacts> {
  const cluster = new Cluster({ bootstrapServers: bootstrap, clientId: 'kafka-producer-ts-bench' });
  try {
    const conn = await cluster.anyConnection();
    const res = await conn.request(ApiVersions, {});
    return {
      transactionVersion: res.finalizedFeatures.find((f) => f.name === 'transaction.version')?.maxVersionLevel ?? 0,
      apis: res.apiKeys.map((k) => `${k.apiKey}:${k.minVersion}-${k.maxVersion}`).join(' '),
    };
  } finally {
    await cluster.close();
  }
}

/**
 * Records a read_committed consumer (kcat, librdkafka) reads from the start of
 * `topic` to its end. The coordinator writes commit markers just after it
 * answers EndTxn, so a short count is asked again until `expected` shows or
 * `timeoutMs` passes; the last count is returned either way.
 */
export async function countCommitted(bootstrap: string, topic: string, expected: number, timeoutMs = 30_000): Promise<number> {
  const args = ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '.'];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // One byte per record: 200,000 records are 200 kB of output.
    const { stdout } = await run('kcat', args, { maxBuffer: 64 * 1024 * 1024 });
    if (stdout.length >= expected || Date.now() > deadline) return stdout.length;
    await new Promise((r) => setTimeout(r, 500));
  }
}
