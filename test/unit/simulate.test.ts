// The simulator inside `npm test`: a seed replays exactly (the runtime owns
// every source of time and chance the producer and the fake cluster use),
// the oracle sees what it must, and a sample of schedules of the families
// that hold on this code passes. `npm run simulate` runs the full search.

import { describe, expect, it } from 'vitest';
import { runSchedule } from '../sim/simulate.js';
import { check } from '../sim/oracle.js';
import type { FaultFamily, Feature, Plan } from '../sim/schedule.js';
import type { SentRecord } from '../sim/workload.js';
import type { SendResult } from '../../src/send-result.js';
import { buildRecordBatch } from '../../src/protocol/record-batch.js';
import { FakeCluster, ManualClock } from '../support/fake-cluster.js';

const ALL_FAULTS: FaultFamily[] = ['lost', 'delay', 'stall', 'moves', 'loading', 'down', 'errors', 'metadata'];
const ALL_FEATURES: Feature[] = ['idempotent', 'acks0', 'txn', 'txn2', 'offsets', 'overlap', 'wrap'];
const opts = (faults: FaultFamily[], features: Feature[]) => ({ faults: new Set(faults), features: new Set(features) });

describe('npm run simulate', () => {
  it('replays a seed exactly: the same plan, trace and verdict', async () => {
    const all = opts(ALL_FAULTS, ALL_FEATURES);
    for (const seed of [3, 17, 42]) {
      const a = await runSchedule(seed, all);
      const b = await runSchedule(seed, all);
      expect(b.trace).toEqual(a.trace);
      expect(b.violations).toEqual(a.violations);
      expect(a.trace.length).toBeGreaterThan(2);
    }
  });

  it('leaves the process as it found it (time, chance, waits)', async () => {
    const before = [setTimeout, setImmediate, Date.now, Math.random, Atomics.waitAsync, Atomics.notify];
    await runSchedule(5, opts(ALL_FAULTS, ALL_FEATURES));
    expect([setTimeout, setImmediate, Date.now, Math.random, Atomics.waitAsync, Atomics.notify]).toEqual(before);
  });

  it('idempotent producers under lost, late and stalled requests, moves, brokers down and error codes: no violation in 60 schedules', async () => {
    const o = opts(['lost', 'delay', 'stall', 'moves', 'down', 'errors'], ['idempotent']);
    const found: string[] = [];
    let steps = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const r = await runSchedule(seed, o);
      steps += r.steps;
      found.push(...r.violations.map((v) => `seed ${seed}: ${v}`));
    }
    expect(found).toEqual([]);
    expect(steps).toBeGreaterThan(60 * 20);
  });
});

describe("the simulator's oracle", () => {
  const plan = { seed: 1, profile: 'idempotent', txnVersion: 1, options: { maxBlockMs: 100, deliveryTimeoutMs: 1000 }, ringBelowWrap: 0, firstEpoch: 0, faultRate: 0, maxMessageBytes: Infinity } as unknown as Plan;
  const sent = (value: string, topic: string, partition: number, err: Error | null = null) =>
    ({ value, topic, key: null, txn: -1, calledAt: 0, settles: 1, settledAt: 10, err, result: { partition } as SendResult, duringCommit: false, refused: false }) satisfies SentRecord;
  const write = (cluster: FakeCluster, topic: string, partition: number, seq: number, values: string[]) =>
    cluster.partition(topic, partition).append(buildRecordBatch(values.map((v) => ({ key: null, value: Buffer.from(v), headers: [], timestamp: 0 })), { producerId: 1, producerEpoch: 0, baseSequence: seq }));
  const judge = (cluster: FakeCluster, records: SentRecord[]) =>
    check({ plan, cluster, rec: { records, calls: [], txns: [], log: () => {}, now: () => 20 }, injected: [], uncaught: [], openAfterClose: null, fatal: false, end: 'done' });

  it('passes a log holding every acknowledged record once, in order, where it was sent', () => {
    const cluster = new FakeCluster([{ name: 't', partitions: 2 }], new ManualClock(0));
    write(cluster, 't', 0, 0, ['a', 'b']);
    expect(judge(cluster, [sent('a', 't', 0), sent('b', 't', 0)])).toEqual([]);
  });

  it('flags a record in another partition, twice, out of order, or acknowledged and missing', () => {
    const cluster = new FakeCluster([{ name: 't', partitions: 2 }], new ManualClock(0));
    write(cluster, 't', 0, 0, ['b', 'a']);
    write(cluster, 't', 0, 2, ['b']);
    write(cluster, 't', 1, 0, ['c']);
    const v = judge(cluster, [sent('a', 't', 0), sent('b', 't', 0), sent('c', 't', 0), sent('d', 't', 1)]);
    expect(v).toEqual([
      "t-0's log has a after a record sent later (order)",
      "record b is twice in t-0's log",
      "record c sent to t-0 is in t-1's log",
      'record d was acknowledged (t-1) but is in no log',
    ]);
  });
});
