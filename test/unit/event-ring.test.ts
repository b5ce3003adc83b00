// The event ring across the wrap of its counters (issue 21, finding 11):
// head and tail are int32 counters that wrap at 2^32, so a position must
// stay continuous there, or an event is overwritten (lost: its batch never
// settles) and another read twice (its batch sent twice).

import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { EventRing } from '../../src/accumulator/event-ring.js';
import { RecordAccumulator } from '../../src/accumulator/record-accumulator.js';
import type { ProducerOptions } from '../../src/config.js';
import { KafkaProducer } from '../../src/producer.js';
import { SENDER_DEPS } from '../../src/sender/host.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { ThreadBridge } from '../support/thread-bridge.js';

/** The Sender's thread for the worker host, built with the package (`npm run build` first). */
const THREAD_ENTRY = new URL('../../dist/test/support/sender-thread.js', import.meta.url);

const HOOKS = {
  onUnwatchedDelivered: () => {},
  onUnwatchedFailed: () => {},
  onSlotCreated: () => {},
  onSlotDropped: () => {},
  onTopicPartition: () => {},
  onBatchSettled: () => {},
};

/** Pushes `n` events numbered from 0, `unread` at a time before the consumer reads them; returns what it read. */
function pushAndRead(ring: EventRing, n: number, unread: number): number[] {
  const read: number[] = [];
  for (let i = 0; i < n; i++) {
    ring.push(i);
    if (i % unread === unread - 1) ring.drain((e) => read.push(e));
  }
  ring.drain((e) => read.push(e));
  return read;
}

describe('the event ring across the wrap of its counters at 2^32', () => {
  it('loses no event and reads none twice when the wrap passes with 16 unread (the ring of bufferMemory 16 MiB, batchSize 16 KiB)', () => {
    const acc = new RecordAccumulator(16 * 1024 * 1024, 16 * 1024, 16 * 1024, HOOKS);
    const words = new Int32Array(acc.ring.sab);
    // Head and tail 16 events before the wrap, as after 2^32 - 16 events.
    words[0] = -16;
    words[1] = -16;
    const ring = new EventRing(acc.ring.sab);
    // Each batch gives two events (opened, sealed): 17 unread is 9 batches the sender has not heard of yet.
    expect(pushAndRead(ring, 17, 17)).toEqual(Array.from({ length: 17 }, (_, i) => i));
  });

  it.each([1, 2, 16, 100, 2000])('keeps every event once with %i unread across the wrap', (unread) => {
    const acc = new RecordAccumulator(16 * 1024 * 1024, 16 * 1024, 16 * 1024, HOOKS);
    const words = new Int32Array(acc.ring.sab);
    words[0] = -unread - 5;
    words[1] = -unread - 5;
    const ring = new EventRing(acc.ring.sab);
    const n = 2 * unread + 20;
    expect(pushAndRead(ring, n, unread)).toEqual(Array.from({ length: n }, (_, i) => i));
  });
});

describe.each([
  ['on the main thread', 'main'],
  ['on a worker thread', 'thread'],
] as const)('a producer whose ring and slot generations start just before their wrap, the Sender %s', (_name, where) => {
  it('delivers every record once, in order, as the counters wrap', async () => {
    const cluster = new FakeCluster([{ name: 't', partitions: 20 }]);
    const deps =
      where === 'thread'
        ? { clock: cluster.clock, thread: { entry: THREAD_ENTRY, onWorker: (w: Worker) => void new ThreadBridge(cluster, w, () => {}) } }
        : {
            transport: (config: { requestTimeoutMs: number }) => {
              cluster.requestTimeoutMs = config.requestTimeoutMs;
              return cluster;
            },
            clock: cluster.clock,
          };
    const producer = new KafkaProducer({
      bootstrapServers: '127.0.0.1:9001',
      worker: false,
      lingerMs: 0,
      bufferMemory: 16 * 1024 * 1024,
      batchSize: 16 * 1024,
      requestTimeoutMs: 1000,
      deliveryTimeoutMs: 5000,
      [SENDER_DEPS]: { ...deps, startCounters: { ring: -16, slotGeneration: 2 ** 31 - 3 } },
    } as ProducerOptions);
    try {
      await producer.partitionsFor('t');
      const settled = new Map<string, (Error | null)[]>();
      const value = (round: number, p: number) => `${round}:${p}:`.padEnd(20_000, 'x');
      // Records larger than batchSize travel alone: one task pushes a SEALED event per partition, 20 unread as the wrap passes.
      for (let round = 0; round < 3; round++) {
        for (let p = 0; p < 20; p++) {
          const v = value(round, p);
          settled.set(v, []);
          producer.send({ topic: 't', partition: p, value: v }, (err) => settled.get(v)?.push(err));
        }
        await cluster.clock.settle();
      }
      for (let i = 0; i < 100 && [...settled.values()].some((s) => s.length === 0); i++) await cluster.clock.advance(10);
      expect([...settled.values()].map((s) => s.length)).toEqual(Array(60).fill(1));
      expect([...settled.values()].flat().filter((e) => e !== null)).toEqual([]);
      for (let p = 0; p < 20; p++) expect(cluster.partition('t', p).values).toEqual([0, 1, 2].map((round) => value(round, p)));
    } finally {
      await producer.close({ timeoutMs: 0 });
    }
  });
});
