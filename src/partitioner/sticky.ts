// The built-in partitioner for keyless records (KIP-794): stay on one
// partition until about batchSize bytes went to it, then move to another
// partition that has a leader, choosing partitions with shorter queues more
// often (adaptive), so a slow broker gets less new work. While the
// partition's batches grow past batchSize (a backlog, record-accumulator.ts)
// the choice stays, up to maxBatchSize bytes, so one batch grows instead of
// a new one starting elsewhere; batches that do not grow change nothing.

import type { KeylessStrategy, QueueLength, TopicLayout } from './partitioner.js';

/** Whether the partition's batches grow past batchSize now. */
export type BatchGrowing = (topic: string, partition: number) => boolean;

interface StickyState {
  partition: number;
  bytes: number;
}

export class StickyPartitioner implements KeylessStrategy {
  readonly #stickyBytes: number;
  /** How long to stay while the partition's batches grow (maxBatchSize). */
  readonly #growingStickyBytes: number;
  readonly #growing: BatchGrowing;
  readonly #state = new Map<string, StickyState>();
  readonly #random: () => number;

  constructor(stickyBytes: number, random: () => number = Math.random, growing: BatchGrowing = () => false, growingStickyBytes = stickyBytes) {
    this.#stickyBytes = stickyBytes;
    this.#growingStickyBytes = growingStickyBytes;
    this.#growing = growing;
    this.#random = random;
  }

  partition(topic: string, layout: TopicLayout, queued: QueueLength): number {
    const s = this.#state.get(topic);
    if (s && s.partition < layout.partitionCount && this.#stays(topic, s)) return s.partition;
    const next = this.#choose(topic, layout, queued);
    if (s) {
      s.partition = next;
      s.bytes = 0;
    } else {
      this.#state.set(topic, { partition: next, bytes: 0 });
    }
    return next;
  }

  #stays(topic: string, s: StickyState): boolean {
    return s.bytes < this.#stickyBytes || (s.bytes < this.#growingStickyBytes && this.#growing(topic, s.partition));
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
