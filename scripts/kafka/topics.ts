// Topic housekeeping over the project's own protocol layer, for the tests,
// the demo and the benchmarks: create a topic and wait until it can take
// records, count what landed from the partitions' latest offsets (not from
// what a client claims), and delete it.

import { Cluster } from '../../src/network/cluster.js';
import { CreateTopics } from '../../src/protocol/apis/create-topics.js';
import { DeleteTopics } from '../../src/protocol/apis/delete-topics.js';
import { LATEST_TIMESTAMP, ListOffsets } from '../../src/protocol/apis/list-offsets.js';
import { KafkaResponseError } from '../../src/protocol/errors.js';

export class Topics {
  readonly #cluster: Cluster;

  constructor(bootstrap: string, clientId = 'kafka-producer-ts-admin') {
    this.#cluster = new Cluster({ bootstrapServers: bootstrap, clientId });
  }

  /**
   * Creates the topic and waits until every partition's leader answers
   * ListOffsets. Metadata can name a leader a moment before that broker has
   * taken over, and a Produce with acks=0 that meets NOT_LEADER_OR_FOLLOWER
   * is dropped with the connection.
   */
  async create(name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
    const conn = await this.#cluster.anyConnection();
    const res = await conn.request(CreateTopics, {
      topics: [
        {
          name,
          numPartitions: partitions,
          replicationFactor: -1,
          assignments: [],
          configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })),
        },
      ],
      timeoutMs: 30_000,
    });
    const t = res.topics[0];
    if (!t) throw new Error(`CreateTopics answered no topic for ${name}`);
    if (t.errorCode !== 0) throw new KafkaResponseError(t.errorCode, `creating topic ${name}`, t.errorMessage);
    const deadline = Date.now() + 30_000;
    while ((await this.#latestOffsets(name, partitions)) === null) {
      if (Date.now() > deadline) throw new Error(`topic ${name}: not every partition has a working leader after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Records in the topic: the sum of its partitions' latest offsets. */
  async count(name: string, partitions: number): Promise<number> {
    const offsets = await this.#latestOffsets(name, partitions);
    if (offsets === null) throw new Error(`topic ${name}: ListOffsets failed on some partition`);
    return offsets.reduce((a, b) => a + b, 0);
  }

  async delete(name: string): Promise<void> {
    const conn = await this.#cluster.anyConnection();
    const res = await conn.request(DeleteTopics, { topicNames: [name], timeoutMs: 30_000 });
    const r = res.responses[0];
    if (r && r.errorCode !== 0) throw new KafkaResponseError(r.errorCode, `deleting topic ${name}`, r.errorMessage);
  }

  /** Each partition's leader as the cluster's metadata has it now (-1: none). */
  async leaders(name: string): Promise<number[]> {
    const info = (await this.#cluster.refreshMetadata([name], false)).topic(name);
    return (info?.partitions ?? []).map((p) => p.leader);
  }

  /** Whether the broker's metadata still lists the topic. */
  async exists(name: string): Promise<boolean> {
    return (await this.#cluster.refreshMetadata([name], false)).topic(name)?.errorCode === 0;
  }

  close(): Promise<void> {
    return this.#cluster.close();
  }

  /** Latest offset of every partition, or null while some partition has no working leader. */
  async #latestOffsets(topic: string, partitions: number): Promise<number[] | null> {
    const info = (await this.#cluster.refreshMetadata([topic], false)).topic(topic);
    if (!info || info.errorCode !== 0 || info.partitions.length !== partitions || info.partitions.some((p) => p.leader < 0)) return null;
    const byLeader = new Map<number, number[]>();
    for (const p of info.partitions) byLeader.set(p.leader, [...(byLeader.get(p.leader) ?? []), p.partition]);
    const offsets: number[] = [];
    for (const [leader, list] of byLeader) {
      const conn = await this.#cluster.connectionTo(leader);
      const res = await conn.request(ListOffsets, {
        replicaId: -1,
        topics: [{ name: topic, partitions: list.map((partitionIndex) => ({ partitionIndex, timestamp: LATEST_TIMESTAMP })) }],
      });
      for (const p of res.topics[0]?.partitions ?? []) {
        if (p.errorCode !== 0) return null;
        offsets.push(p.offset);
      }
    }
    return offsets.length === partitions ? offsets : null;
  }
}
