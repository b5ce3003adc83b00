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
    const s = new StickyPartitioner(1000, () => 0.5);
    const first = s.partition('t', layout, () => 0);
    for (let i = 0; i < 9; i++) {
      expect(s.partition('t', layout, () => 0)).toBe(first);
      s.onAppend('t', first, 100);
    }
    s.onAppend('t', first, 100);
    // 1000 bytes reached: the next record may move (the random pick decides where).
    const picks = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const p = new StickyPartitioner(10, Math.random);
      picks.add(p.partition('t', layout, () => 0));
    }
    expect(picks.size).toBeGreaterThan(1);
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
      while (s.partition('t', layout, () => 0) === first) {
        s.onAppend('t', first, 100);
        bytes += 100;
      }
      return bytes;
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
    expect(r.partition('b', layout)).toBe(0);
  });
});
