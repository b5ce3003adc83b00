// npm run demo: starts a local Kafka broker unless KAFKA_BROKERS names one,
// then shows a round trip through the protocol layer: version negotiation,
// Metadata, and one Produce request per codec made of our own record batches,
// read back with kcat when it is installed. A broker it started is stopped
// before it exits.

import { execFileSync } from 'node:child_process';
import { Cluster } from '../src/network/cluster.js';
import { CreateTopics } from '../src/protocol/apis/create-topics.js';
import { Metadata } from '../src/protocol/apis/metadata.js';
import { Produce } from '../src/protocol/apis/produce.js';
import { COMPRESSION_TYPES, loadCodecs } from '../src/protocol/compression.js';
import { buildRecordBatch } from '../src/protocol/record-batch.js';
import { isAlive, readState, startCluster, stopCluster } from './kafka/broker.js';

const RECORDS_PER_BATCH = 1000;

async function main(): Promise<void> {
  let bootstrap = process.env.KAFKA_BROKERS?.trim();
  let startedHere = false;
  if (!bootstrap) {
    const before = readState('single');
    startedHere = !(before && before.nodes.every((n) => isAlive(n.pid)));
    const t0 = performance.now();
    const state = await startCluster({ name: 'single' });
    bootstrap = state.bootstrap;
    console.log(`broker: Apache Kafka ${state.version} at ${bootstrap}${startedHere ? ` (started in ${((performance.now() - t0) / 1000).toFixed(1)} s)` : ' (already running)'}`);
  } else {
    console.log(`broker: ${bootstrap} (KAFKA_BROKERS)`);
  }
  await loadCodecs();
  const cluster = new Cluster({ bootstrapServers: bootstrap, clientId: 'kafka-producer-ts-demo' });
  try {
    const conn = await cluster.anyConnection();
    console.log(`negotiated: Produce v${conn.versionFor(Produce)}, Metadata v${conn.versionFor(Metadata)} with ${conn.broker}`);

    const topic = `demo-protocol-${Date.now().toString(36)}`;
    const created = await conn.request(CreateTopics, {
      topics: [{ name: topic, numPartitions: COMPRESSION_TYPES.length, replicationFactor: -1, assignments: [], configs: [] }],
      timeoutMs: 30_000,
    });
    if (created.topics[0]?.errorCode !== 0) throw new Error(`creating ${topic} failed with error ${created.topics[0]?.errorCode}`);
    const md = await waitForLeaders(cluster, topic, COMPRESSION_TYPES.length);
    console.log(`topic ${topic}: ${COMPRESSION_TYPES.length} partitions, id ${md.toString('hex')}`);

    const leader = await cluster.connectionTo(cluster.metadata.leaderFor(topic, 0)?.nodeId ?? -1);
    const version = Math.min(leader.versionFor(Produce), 12);
    console.log(`\n${'codec'.padEnd(8)}${'partition'.padStart(10)}${'records'.padStart(9)}${'raw bytes'.padStart(11)}${'batch bytes'.padStart(13)}${'base offset'.padStart(13)}${'round trip'.padStart(12)}`);
    for (const [partition, codec] of COMPRESSION_TYPES.entries()) {
      const now = Date.now();
      const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
        key: Buffer.from(`user-${i % 50}`),
        value: Buffer.from(JSON.stringify({ event: 'page_view', i, path: `/articles/${i % 37}`, at: now + i })),
        headers: [{ key: 'source', value: Buffer.from('demo') }],
        timestamp: now + i,
      }));
      const raw = buildRecordBatch(records).length;
      const batch = buildRecordBatch(records, { compression: codec });
      const t0 = performance.now();
      const res = await produceSettled(leader, topic, partition, batch, version);
      const ms = performance.now() - t0;
      if (res.errorCode !== 0) throw new Error(`Produce to ${topic}-${partition} failed with error ${res.errorCode}`);
      console.log(
        `${codec.padEnd(8)}${String(partition).padStart(10)}${String(RECORDS_PER_BATCH).padStart(9)}${String(raw).padStart(11)}${String(batch.length).padStart(13)}${String(res.baseOffset).padStart(13)}${`${ms.toFixed(1)} ms`.padStart(12)}`,
      );
    }
    readBack(bootstrap, topic);
  } finally {
    await cluster.close();
    if (startedHere) {
      await stopCluster('single');
      console.log('\nbroker stopped (it was started by this demo)');
    }
  }
}

async function waitForLeaders(cluster: Cluster, topic: string, partitions: number): Promise<Buffer> {
  for (let i = 0; i < 300; i++) {
    const info = (await cluster.refreshMetadata([topic], false)).topic(topic);
    if (info && info.partitions.length === partitions && info.partitions.every((p) => p.leader >= 0)) return info.topicId;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`topic ${topic} got no leaders within 30 s`);
}

/** Produce, sent again while a brand-new partition's leader is still settling in. */
async function produceSettled(
  conn: Awaited<ReturnType<Cluster['anyConnection']>>,
  topic: string,
  partition: number,
  records: Buffer,
  version: number,
): Promise<{ errorCode: number; baseOffset: number }> {
  for (let attempt = 0; ; attempt++) {
    const res = await conn.request(
      Produce,
      { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] },
      { version },
    );
    const p = res.responses[0]?.partitionResponses[0] ?? { errorCode: -1, baseOffset: -1 };
    if (![3, 5, 6].includes(p.errorCode) || attempt >= 50) return p;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function readBack(bootstrap: string, topic: string): void {
  try {
    const out = execFileSync('kcat', ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %o %k %s\n'], { encoding: 'utf8' });
    const lines = out.split('\n').filter((l) => l !== '');
    console.log(`\nkcat read back ${lines.length} records; the first of each partition:`);
    const seen = new Set<string>();
    for (const l of lines) {
      const p = l.split(' ')[0] as string;
      if (!seen.has(p)) {
        seen.add(p);
        console.log(`  ${l.length > 110 ? `${l.slice(0, 107)}...` : l}`);
      }
    }
  } catch {
    console.log('\n(kcat is not installed: apt-get install kcat to see the records read back by librdkafka)');
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
