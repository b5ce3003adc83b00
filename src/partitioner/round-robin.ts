// Round-robin over the partitions that have a leader (all partitions when
// none is known to), one counter per topic, as Java's RoundRobinPartitioner.

import type { KeylessStrategy, TopicLoad } from './partitioner.js';

export class RoundRobinPartitioner implements KeylessStrategy {
  readonly #next = new Map<string, number>();

  partition(topic: string, load: TopicLoad): number {
    const n = this.#next.get(topic) ?? 0;
    this.#next.set(topic, (n + 1) & 0x7fffffff);
    if (load.available.length > 0) return load.available[n % load.available.length] as number;
    return n % load.partitionCount;
  }

  onAppend(): void {}
}
