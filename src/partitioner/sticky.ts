// The built-in partitioner for keyless records (KIP-794): stay on one
// partition until about batchSize bytes went to it, then move to another
// partition that has a leader, choosing partitions with shorter queues more
// often (adaptive), so a slow broker gets less new work. While the partition
// has a backlog its batch may grow to maxBatchSize (record-accumulator.ts),
// and the choice stays for that long, so the batch grows instead of a new
// one starting elsewhere.

import type { KeylessStrategy, QueueLength, TopicLayout } from './partitioner.js';

interface StickyState {
  partition: number;
  bytes: number;
}

export class StickyPartitioner implements KeylessStrategy {
  readonly #stickyBytes: number;
  readonly #backlogStickyBytes: number;
  readonly #state = new Map<string, StickyState>();
  readonly #random: () => number;

  /** `backlogStickyBytes`: how long to stay on a partition with a backlog (maxBatchSize). */
  constructor(stickyBytes: number, random: () => number = Math.random, backlogStickyBytes = stickyBytes) {
    this.#stickyBytes = stickyBytes;
    this.#backlogStickyBytes = backlogStickyBytes;
    this.#random = random;
  }

  partition(topic: string, layout: TopicLayout, queued: QueueLength): number {
    const s = this.#state.get(topic);
    if (s && s.partition < layout.partitionCount && this.#stays(topic, s, queued)) return s.partition;
    const next = this.#choose(topic, layout, queued);
    if (s) {
      s.partition = next;
      s.bytes = 0;
    } else {
      this.#state.set(topic, { partition: next, bytes: 0 });
    }
    return next;
  }

  /**
   * The accumulator's backlog test: an earlier batch of the partition is not
   * settled yet besides the open one (a queue of two or more).
   */
  #stays(topic: string, s: StickyState, queued: QueueLength): boolean {
    return s.bytes < this.#stickyBytes || (s.bytes < this.#backlogStickyBytes && queued(topic, s.partition) > 1);
  }

  onAppend(topic: string, partition: number, bytes: number): void {
    const s = this.#state.get(topic);
    if (s && s.partition === partition) s.bytes += bytes;
  }

  /**
   * Weighted random choice: weight = (longest queue + 1) - queue length, so
   * equal queues are equally likely and the longest queue is least likely.
   */
  #choose(topic: string, layout: TopicLayout, queued: QueueLength): number {
    const candidates = layout.available.length > 0 ? layout.available : range(layout.partitionCount);
    if (candidates.length === 1) return candidates[0] as number;
    let longest = 0;
    const queues = candidates.map((p) => {
      const q = queued(topic, p);
      if (q > longest) longest = q;
      return q;
    });
    let total = 0;
    const cumulative = queues.map((q) => (total += longest + 1 - q));
    const pick = this.#random() * total;
    const i = cumulative.findIndex((c) => pick < c);
    return candidates[i < 0 ? candidates.length - 1 : i] as number;
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
