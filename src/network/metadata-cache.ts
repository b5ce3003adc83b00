// What the client knows of the cluster from its last Metadata responses:
// brokers, topics with their ids, and per partition the leader and its epoch.
// An answer with an older leader epoch than the one cached is ignored, so a
// stale broker cannot move a partition back to a leader it already left;
// unless the topic id changed (the topic was deleted and created again).
// An answer whose values cannot be right (response-checks.ts) changes
// nothing: update() throws its MalformedResponseError before touching the cache.

import type { MetadataResponse } from '../protocol/apis/metadata.js';
import { metadataProblem } from './response-checks.js';

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  topicId: Buffer;
  errorCode: number;
  /** Indexed by partition number. */
  partitions: PartitionInfo[];
  updatedAt: number;
}

export class MetadataCache {
  readonly brokers = new Map<number, BrokerInfo>();
  readonly topics = new Map<string, TopicInfo>();
  clusterId: string | null = null;
  controllerId = -1;

  /** `broker`: who answered, for the error naming a value that cannot be right. */
  update(res: MetadataResponse, now = Date.now(), broker: string | null = null): void {
    const problem = metadataProblem(res, broker);
    if (problem) throw problem;
    this.clusterId = res.clusterId;
    this.controllerId = res.controllerId;
    this.brokers.clear();
    for (const b of res.brokers) this.brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
    for (const t of res.topics) {
      if (t.name === null) continue;
      const cached = this.topics.get(t.name);
      // A topic deleted and created again has a new id and leader epochs from 0: nothing cached of the old one holds.
      const previous = cached && sameTopic(cached.topicId, t.topicId) ? cached : undefined;
      const partitions: PartitionInfo[] = [];
      for (const p of t.partitions) {
        const known = previous?.partitions[p.partitionIndex];
        if (known && p.leaderEpoch >= 0 && known.leaderEpoch > p.leaderEpoch) {
          partitions[p.partitionIndex] = known;
          continue;
        }
        partitions[p.partitionIndex] = {
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          errorCode: p.errorCode,
        };
      }
      this.topics.set(t.name, { name: t.name, topicId: t.topicId, errorCode: t.errorCode, partitions, updatedAt: now });
    }
  }

  /** Moves one partition to a new leader (a Produce response's current_leader hint). */
  moveLeader(topic: string, partition: number, leader: number, leaderEpoch: number): void {
    const p = this.topics.get(topic)?.partitions[partition];
    if (p && leaderEpoch > p.leaderEpoch) {
      p.leader = leader;
      p.leaderEpoch = leaderEpoch;
    }
  }

  /** Adds or replaces a broker's address (a Produce response's node_endpoints). */
  addBroker(b: BrokerInfo): void {
    this.brokers.set(b.nodeId, b);
  }

  topic(name: string): TopicInfo | undefined {
    return this.topics.get(name);
  }

  leaderFor(topic: string, partition: number): BrokerInfo | undefined {
    const p = this.topics.get(topic)?.partitions[partition];
    return p && p.leader >= 0 ? this.brokers.get(p.leader) : undefined;
  }
}

/** Same topic, or one of the ids unknown (all zeros: brokers before topic ids). */
function sameTopic(a: Buffer, b: Buffer): boolean {
  const unknown = (id: Buffer) => id.every((x) => x === 0);
  return unknown(a) || unknown(b) || a.equals(b);
}
