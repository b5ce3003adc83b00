// Round-robin over the partitions that have a leader (all partitions when
// none is known to), one counter per topic, as Java's RoundRobinPartitioner.

import type { KeylessStrategy, TopicLayout } from './partitioner.js';

export class RoundRobinPartitioner implements KeylessStrategy {
  readonly #next = new Map<string, number>();

  partition(topic: string, layout: TopicLayout): number {
    const n = this.#next.get(topic) ?? 0;
    this.#next.set(topic, (n + 1) & 0x7fffffff);
    if (layout.available.length > 0) return layout.available[n % layout.available.length] as number;
    return n % layout.partitionCount;
  }

  onAppend(): void {}
}
