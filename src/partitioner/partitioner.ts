// How a record's partition is chosen, in the Java client's order: an explicit
// partition; else a custom partitioner; else murmur2 of the key bytes over
// all partitions; else the built-in sticky partitioner (or round-robin).

/** A custom partitioner: return a partition in [0, partitionCount). */
export type Partitioner = (topic: string, key: Uint8Array | null, value: Uint8Array | string | null, partitionCount: number) => number;

/** What a keyless-record strategy needs to know about one topic right now. */
export interface TopicLayout {
  partitionCount: number;
  /** Partitions that have a leader; all of them when that is unknown. */
  available: readonly number[];
}

/** Batches waiting or in flight for one partition (adaptive partitioning). */
export type QueueLength = (topic: string, partition: number) => number;

/** Picks partitions for records without a key (and without explicit partition). */
export interface KeylessStrategy {
  /** Called per record: no allocation on the path that keeps the current choice. */
  partition(topic: string, layout: TopicLayout, queued: QueueLength): number;
  /** Told after each append, so a sticky choice can move on after about batchSize bytes. */
  onAppend(topic: string, partition: number, bytes: number): void;
}
