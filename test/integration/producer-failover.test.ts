// Leader failover on a 3-broker cluster of this file's own: the leader of a
// partition is killed while records stream in. The producer follows the
// new leader (metadata refresh and the Produce response's leader hints),
// and with idempotence every record lands exactly once and in order.

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KafkaProducer, type RecordMetadata } from 'kafka-producer-ts';
import { startCluster, stopCluster, stopNode, type ClusterState } from '../../scripts/kafka/broker.js';
import { Topics } from '../../scripts/kafka/topics.js';
import { createTopic, kcatConsume, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');
const local = env.libsDir !== null;
const NAME = 'failover';

let state: ClusterState;

describe.skipIf(!local)('leader failover on a 3-broker cluster', () => {
  beforeAll(async () => {
    state = await startCluster({ name: NAME, nodes: 3, basePort: 27092, version: env.version, ownerPid: process.pid });
  });

  afterAll(async () => {
    await stopCluster(NAME);
  });

  it('killing a partition leader mid-stream loses nothing and duplicates nothing', async () => {
    const topic = uniqueTopic('failover');
    await createTopic(state.bootstrap, topic, 3, { 'min.insync.replicas': '2' });
    const p = new KafkaProducer({ bootstrapServers: state.bootstrap, lingerMs: 5, requestTimeoutMs: 5000, retryBackoffMaxMs: 500 });
    const n = 30_000;
    const outcomes: (Error | RecordMetadata | undefined)[] = new Array(n);
    let settled = 0;
    let done: () => void = () => {};
    const all = new Promise<void>((r) => (done = r));
    try {
      const leader = (await p.partitionsFor(topic)).find((x) => x.partition === 0)?.leader as number;
      const refreshesBefore = p.metrics().metadataRefreshes;
      const sending = (async () => {
        for (let i = 0; i < n; i++) {
          p.send({ topic, partition: i % 3, value: String(i) }, (err, md) => {
            outcomes[i] = err ?? md;
            if (++settled === n) done();
          });
          if (i % 200 === 199) await new Promise((r) => setTimeout(r, 2));
        }
      })();
      while (settled < n / 4) await new Promise((r) => setTimeout(r, 2));
      await stopNode(state.nodes.find((x) => x.nodeId === leader) as ClusterState['nodes'][number], 0);
      await sending;
      await all;

      const failures = outcomes.filter((o) => o instanceof Error) as Error[];
      expect(failures.map((e) => e.message)).toEqual([]);
      expect(p.metrics().metadataRefreshes).toBeGreaterThan(refreshesBefore);
      // The leader did move (so the stream crossed a failover): the cluster's own view, which the producer's cache may lag.
      const topics = new Topics(state.bootstrap);
      let newLeader = leader;
      for (let i = 0; i < 100 && newLeader === leader; i++) {
        newLeader = (await topics.leaders(topic))[0] ?? leader;
        if (newLeader === leader) await new Promise((r) => setTimeout(r, 100));
      }
      await topics.close();
      expect(newLeader).not.toBe(leader);
    } finally {
      await p.close();
    }
    // kcat finds the brokers still up through the bootstrap list.
    const messages = await kcatConsume(state.bootstrap, topic);
    expect(messages).toHaveLength(n);
    for (let partition = 0; partition < 3; partition++) {
      const values = messages.filter((m) => m.partition === partition).map((m) => Number(m.payload));
      expect(values).toEqual(Array.from({ length: n / 3 }, (_, k) => k * 3 + partition));
    }
  });
});
