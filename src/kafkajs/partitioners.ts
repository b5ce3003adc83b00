// kafkajs's partitioners: DefaultPartitioner (Java's murmur2 for keys, as in
// kafkajs 2.x) and LegacyPartitioner (kafkajs 1.x's hash). Both are kafkajs's
// own strategy: an explicit partition wins, a key hashes over all
// partitions, a keyless message goes round-robin over the partitions with a
// leader from a random start per topic. The adapter sends with the
// DefaultPartitioner through the producer's own partitioner (see producer.ts).

import { randomBytes } from 'node:crypto';
import { murmur2 } from '../partitioner/murmur2.js';
import { legacyKeyBytes, legacyMurmur2 } from './legacy-murmur2.js';
import type { Message } from './types.js';

/** A partition as kafkajs's partitioners see it. */
export interface PartitionMetadata {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas?: number[];
}

export interface PartitionerArgs {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  message: Message;
}

export type ICustomPartitioner = () => (args: PartitionerArgs) => number;

const toPositive = (x: number): number => x & 0x7fffffff;

function strategy(hash: (key: NonNullable<Message['key']>) => number): ICustomPartitioner {
  return () => {
    const counters = new Map<string, number>();
    return ({ topic, partitionMetadata, message }) => {
      if (message.partition !== null && message.partition !== undefined) return message.partition;
      const count = partitionMetadata.length;
      if (message.key !== null && message.key !== undefined) return toPositive(hash(message.key)) % count;
      const next = (counters.get(topic) ?? randomBytes(4).readUInt32BE(0)) + 1;
      counters.set(topic, next);
      const available = partitionMetadata.filter((p) => p.leader >= 0);
      // No partition has a leader: pick among all, the send then waits for one.
      if (available.length === 0) return toPositive(next) % count;
      return (available[toPositive(next) % available.length] as PartitionMetadata).partitionId;
    };
  };
}

export const DefaultPartitioner: ICustomPartitioner = strategy((key) => murmur2(legacyKeyBytes(key)));
export const LegacyPartitioner: ICustomPartitioner = strategy((key) => legacyMurmur2(legacyKeyBytes(key)));

export const Partitioners = {
  DefaultPartitioner,
  LegacyPartitioner,
  /** kafkajs's old name for DefaultPartitioner. */
  JavaCompatiblePartitioner: DefaultPartitioner,
} as const;
