// Keyless partitioning: the sticky partitioner stays on a partition for about
// batchSize bytes (up to maxBatchSize while its batches grow under a
// backlog) and prefers shorter queues when it moves; round-robin cycles over
// partitions that have a leader.

import { describe, expect, it } from 'vitest';
import { RoundRobinPartitioner } from '../../src/partitioner/round-robin.js';
import { StickyPartitioner } from '../../src/partitioner/sticky.js';

const layout = { partitionCount: 4, available: [0, 1, 2, 3] };

describe('StickyPartitioner', () => {
  it('stays on one partition until batchSize bytes went to it', () => {
    // The first pick lands on partition 0, the second on 3, any later one on 2.
    const picks = [0.1, 0.9];
    const s = new StickyPartitioner(1000, () => picks.shift() ?? 0.6);
    expect(s.partition('t', layout, () => 0)).toBe(0);
    for (let i = 0; i < 9; i++) {
      s.onAppend('t', 0, 100);
      expect(s.partition('t', layout, () => 0), `after ${(i + 1) * 100} bytes`).toBe(0);
    }
    // Bytes appended to another partition do not count.
    s.onAppend('t', 3, 500);
    expect(s.partition('t', layout, () => 0)).toBe(0);
    s.onAppend('t', 0, 100);
    // 1000 bytes reached: the next record moves, and the count starts again there.
    expect(s.partition('t', layout, () => 0)).toBe(3);
    s.onAppend('t', 3, 999);
    expect(s.partition('t', layout, () => 0)).toBe(3);
  });

  it('each topic keeps its own partition and byte count', () => {
    const picks = [0.1, 0.6];
    const s = new StickyPartitioner(100, () => picks.shift() ?? 0.9);
    expect(s.partition('a', layout, () => 0)).toBe(0);
    expect(s.partition('b', layout, () => 0)).toBe(2);
    s.onAppend('a', 0, 100);
    expect(s.partition('b', layout, () => 0)).toBe(2);
    expect(s.partition('a', layout, () => 0)).toBe(3);
  });

  it('a partition past the topic\'s partition count (the topic shrank or was recreated) is left at once', () => {
    const picks = [0.9, 0.1];
    const s = new StickyPartitioner(1000, () => picks.shift() ?? 0.5);
    expect(s.partition('t', layout, () => 0)).toBe(3);
    expect(s.partition('t', { partitionCount: 3, available: [0, 1, 2] }, () => 0)).toBe(0);
  });

  it('weights each partition by how much shorter its queue is than the longest, wherever the longest is', () => {
    // Queues 0, 5, 5, 1: weights 6, 1, 1, 5 (cumulative 6, 7, 8, 13).
    const queued = (_t: string, p: number) => [0, 5, 5, 1][p] as number;
    const pick = (r: number) => new StickyPartitioner(1, () => r).partition('t', layout, queued);
    expect([0.0, 0.45, 0.5, 0.58, 0.65, 0.99].map(pick)).toEqual([0, 0, 1, 2, 3, 3]);
    // A pick on a boundary goes to the partition above it: equal queues, 0.25 of 4 is the start of partition 1.
    expect(new StickyPartitioner(1, () => 0.25).partition('t', layout, () => 0)).toBe(1);
  });

  it('without partitions that have a leader, picks among all partitions', () => {
    const s = new StickyPartitioner(1, () => 0.99);
    expect(s.partition('t', { partitionCount: 3, available: [] }, () => 0)).toBe(2);
  });

  it('moves to shorter queues more often (adaptive)', () => {
    const queued = (_t: string, p: number) => [9, 0, 0, 9][p] as number;
    const counts = [0, 0, 0, 0];
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 4000; i++) {
      const s = new StickyPartitioner(1, random);
      const p = s.partition('t', layout, queued);
      counts[p] = (counts[p] ?? 0) + 1;
    }
    // Weights: 10 - queue -> 1, 10, 10, 1.
    expect(counts[1]).toBeGreaterThan(counts[0] as number * 5);
    expect(counts[2]).toBeGreaterThan(counts[3] as number * 5);
  });

  it('stays past batchSize while the partition\'s batches grow, up to maxBatchSize, and moves on when they stop', () => {
    /** Bytes appended before it moves on, while the chosen partition's batches grow until `grownUntil` bytes. */
    const stint = (grownUntil: number): number => {
      const picks = [0.1, 0.9];
      let bytes = 0;
      const s = new StickyPartitioner(1000, () => picks.shift() ?? 0.9, () => bytes < grownUntil, 4000);
      const first = s.partition('t', layout, () => 0);
      // Bounded: a partitioner that never moves fails here at once rather than looping for ever.
      for (let appends = 0; appends < 100; appends++) {
        if (s.partition('t', layout, () => 0) !== first) return bytes;
        s.onAppend('t', first, 100);
        bytes += 100;
      }
      throw new Error(`still on partition ${first} after ${bytes} bytes`);
    };
    // Batches that do not grow: batchSize, as KIP-794 says.
    expect(stint(0)).toBe(1000);
    expect(stint(2500)).toBe(2500);
    // At most maxBatchSize, however long they grow.
    expect(stint(Infinity)).toBe(4000);
  });

  it('only picks partitions that have a leader', () => {
    const s = new StickyPartitioner(1);
    for (let i = 0; i < 100; i++) {
      expect([1, 3]).toContain(s.partition('t', { partitionCount: 4, available: [1, 3] }, () => 0));
      s.onAppend('t', 1, 10);
      s.onAppend('t', 3, 10);
    }
  });
});

describe('RoundRobinPartitioner', () => {
  it('cycles over the available partitions, per topic', () => {
    const r = new RoundRobinPartitioner();
    const a = Array.from({ length: 6 }, () => r.partition('a', { partitionCount: 3, available: [0, 2] }));
    expect(a).toEqual([0, 2, 0, 2, 0, 2]);
    expect(Array.from({ length: 4 }, () => r.partition('b', layout))).toEqual([0, 1, 2, 3]);
  });

  it('without partitions that have a leader, cycles over all of them', () => {
    const r = new RoundRobinPartitioner();
    expect(Array.from({ length: 4 }, () => r.partition('c', { partitionCount: 3, available: [] }))).toEqual([0, 1, 2, 0]);
  });
});
