// The Sender's rules without a broker: a producer whose Sender talks to the
// in-process fake cluster (test/support/fake-cluster.ts) on a clock the test
// moves, with the Sender on the main thread, behind a MessagePort, or on a
// worker thread (test/support/thread-bridge.ts). Each test scripts what the brokers do to the
// Produce requests, then reads the fake partitions' logs: nothing written
// twice, nothing acknowledged that is not there, order kept. The numbered
// findings are those of the exactly-once issue.

import type { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaProducer } from '../../src/producer.js';
import type { ProducerOptions } from '../../src/config.js';
import type { RecordMetadata } from '../../src/send-result.js';
import { SENDER_DEPS } from '../../src/sender/host.js';
import type { FromSender } from '../../src/sender/messages.js';
import { KafkaTimeoutError, ProducerFatalError } from '../../src/errors.js';
import { duplicates, FakeCluster, valuesIn, type FakeConnection, type FakePartition, type FakeTopic, type LoggedBatch, type ProduceFault } from '../support/fake-cluster.js';
import type { ProduceRequest } from '../../src/protocol/apis/produce.js';
import { ThreadBridge } from '../support/thread-bridge.js';

const TOPIC = 't';
const open: KafkaProducer[] = [];
/**
 * Where the Sender runs: on this thread; behind a MessageChannel, which
 * structured-clones every message as the worker host does; or on a worker
 * thread (built with the package: `npm run build` first).
 */
type Host = 'main' | 'port' | 'thread';
let host: Host = 'main';
const THREAD_ENTRY = new URL('../../dist/test/support/sender-thread.js', import.meta.url);

afterEach(async () => {
  for (const p of open.splice(0)) await p.close({ timeoutMs: 0 });
});

interface Outcome {
  settles: number;
  err: Error | null;
  md: RecordMetadata | undefined;
}

/** A producer over the fake cluster, and every record's outcome (settle attempts counted: a second one fails the test). */
function setup(options: Partial<ProducerOptions> = {}, topics: FakeTopic[] = [{ name: TOPIC, partitions: 2 }]) {
  const cluster = new FakeCluster(topics);
  /** Records the Sender reported, counted before the producer drops repeats. */
  let reported = 0;
  const countReported = (m: FromSender) => {
    if (m.t === 'outcomes') for (const o of m.outcomes) reported += o.count;
  };
  let bridge: ThreadBridge | null = null;
  const deps =
    host === 'thread'
      ? {
          clock: cluster.clock,
          thread: {
            entry: THREAD_ENTRY,
            onWorker: (w: Worker) => {
              bridge = new ThreadBridge(cluster, w, countReported);
            },
          },
        }
      : {
          transport: (config: { requestTimeoutMs: number }) => {
            cluster.requestTimeoutMs = config.requestTimeoutMs;
            return cluster;
          },
          clock: cluster.clock,
          messagePort: host === 'port',
          tap: countReported,
        };
  const producer = new KafkaProducer({
    bootstrapServers: '127.0.0.1:9001',
    worker: false,
    lingerMs: 0,
    requestTimeoutMs: 1000,
    deliveryTimeoutMs: 5000,
    retryBackoffMs: 100,
    retryBackoffMaxMs: 400,
    ...options,
    [SENDER_DEPS]: deps,
  } as ProducerOptions);
  open.push(producer);
  const outcomes = new Map<string, Outcome>();
  const send = (value: string, partition = 0) => {
    const o: Outcome = { settles: 0, err: null, md: undefined };
    outcomes.set(value, o);
    producer.send({ topic: TOPIC, partition, value }, (err, md) => {
      o.settles++;
      o.err = err;
      o.md = md;
    });
  };
  const settled = () => [...outcomes.values()].every((o) => o.settles > 0);
  const check = () => {
    for (const [v, o] of outcomes) expect(o.settles, `record ${v} settled ${o.settles} times`).toBeLessThanOrEqual(1);
    expect(reported, 'outcomes the Sender reported, one per record').toBe(outcomes.size);
    expect(cluster.complaints, 'what the wire judge found wrong in the Produce requests').toEqual([]);
  };
  return { cluster, producer, outcomes, send, settled, check, bridge: bridge as ThreadBridge | null };
}

/** Values acknowledged as written. */
function acked(outcomes: Map<string, Outcome>): string[] {
  return [...outcomes].filter(([, o]) => o.settles === 1 && o.err === null).map(([v]) => v);
}

/** Sends v0..v(n-1) round-robin over `partitions` partitions, letting the clock settle every 10; then waits until all settled. */
async function sendRoundRobin(t: ReturnType<typeof setup>, n: number, partitions: number): Promise<void> {
  await t.producer.partitionsFor(TOPIC);
  for (let i = 0; i < n; i++) {
    t.send(`v${i}`, i % partitions);
    if (i % 10 === 9) await t.cluster.clock.settle();
  }
  while (!t.settled()) await t.cluster.clock.advance(10);
}

/** The error codes the partition's log answers, in order (0: appended, or a duplicate on current brokers). */
function answeredCodes(part: FakePartition): number[] {
  const codes: number[] = [];
  const append = part.append.bind(part);
  part.append = (records) => {
    const res = append(records);
    codes.push(res.errorCode);
    return res;
  };
  return codes;
}

/** Moves time in small steps until every record settled (or `limitMs` passed). */
async function until(cluster: FakeCluster, done: () => boolean, limitMs = 60_000): Promise<void> {
  const end = cluster.clock.now() + limitMs;
  while (!done() && cluster.clock.now() < end) await cluster.clock.advance(10);
}

/** SENDER_HOSTS (e.g. "main,port") narrows the hosts: mutation testing leaves out the thread, which runs dist/ (vitest.mutate.config.ts). */
const HOSTS = (
  [
    ['on the main thread', 'main'],
    ['behind a MessagePort', 'port'],
    ['on a worker thread', 'thread'],
  ] as [string, Host][]
).filter(([, h]) => process.env.SENDER_HOSTS?.split(',').includes(h) ?? true);

describe.each(HOSTS)('the Sender %s', (_name, where) => {
  beforeEach(() => {
    host = where;
  });

  describe('the fake cluster and the Sender', () => {
    it('delivers records in order, once, under one producer id', async () => {
      const t = setup();
      const { cluster, outcomes, check } = t;
      await sendRoundRobin(t, 50, 2);
      check();
      expect(acked(outcomes)).toHaveLength(50);
      const p0 = cluster.partition(TOPIC, 0);
      expect(p0.values).toEqual(Array.from({ length: 25 }, (_, i) => `v${i * 2}`));
      expect(new Set(p0.log.map((b) => b.producerId)).size).toBe(1);
    });

    /** Sends 80 records over 4 partitions of one leader; the connections that carried Produce requests. */
    async function overLanes(options: Partial<ProducerOptions>): Promise<FakeConnection[]> {
      const t = setup(options, [{ name: TOPIC, partitions: 4 }]);
      const { cluster, outcomes, check } = t;
      await sendRoundRobin(t, 80, 4);
      check();
      expect(acked(outcomes)).toHaveLength(80);
      for (let p = 0; p < 4; p++) {
        expect(cluster.partition(TOPIC, p).values, `partition ${p} in order`).toEqual(Array.from({ length: 20 }, (_, i) => `v${i * 4 + p}`));
        expect(cluster.connections.filter((c) => c.producedTo.has(`${TOPIC}-${p}`)), `connections partition ${p} went over`).toHaveLength(1);
      }
      return cluster.connections.filter((c) => c.producedTo.size > 0);
    }

    it('Produce goes over connectionsPerBroker connections to the leader, each partition always over the same one', async () => {
      const producing = await overLanes({ connectionsPerBroker: 2 });
      expect(producing).toHaveLength(2);
      expect(producing.map((c) => c.nodeId)).toEqual([1, 1]);
      expect(producing.map((c) => c.producedTo.size)).toEqual([2, 2]);
    });

    it("connectionsPerBroker 1 sends every partition over one connection, the Java client's way", async () => {
      const producing = await overLanes({ connectionsPerBroker: 1 });
      expect(producing).toHaveLength(1);
      expect(producing[0]?.producedTo.size).toBe(4);
    });
  });

  describe('idempotence keeps every batch once and in order (KIP-360)', () => {
    it('finding 1: a batch expiring in flight bumps the epoch; the batch after it keeps its numbers and is not written twice', async () => {
      const { cluster, producer, outcomes, send, settled, check } = setup({ deliveryTimeoutMs: 3000 });
      await producer.partitionsFor(TOPIC);
      // Every answer about v0 is lost (it was written at its first attempt), so it expires; those about v1,
      // half a second younger, only until just before that, so v1 survives.
      const t0 = cluster.clock.now();
      cluster.faultFor = (_call, req) =>
        valuesIn(req, 0).includes('v0') || cluster.clock.now() - t0 < 2900 ? { kind: 'lose-response' } : null;
      send('v0');
      await cluster.clock.advance(500);
      send('v1');
      await until(cluster, settled);
      expect(outcomes.get('v0')?.err).toBeInstanceOf(KafkaTimeoutError);
      expect(outcomes.get('v1')?.err).toBeNull();
      send('v2');
      await until(cluster, settled);
      check();
      const p0 = cluster.partition(TOPIC, 0);
      expect(duplicates(p0.values)).toEqual([]);
      expect(p0.values).toEqual(['v0', 'v1', 'v2']);
      // One producer id; v2 went under a bumped epoch, from sequence 0.
      expect(new Set(p0.log.map((b) => b.producerId)).size).toBe(1);
      expect(p0.log.at(-1)).toMatchObject({ epoch: 1, baseSequence: 0 });
      expect(producer.metrics().epochBumps).toBe(1);
    });

    it('finding 2: after a bump, a partition numbers nothing new until its older batches are done, so nothing overtakes them', async () => {
      const { cluster, producer, send, settled, check } = setup({}, [{ name: TOPIC, partitions: 2, leaders: [1, 2] }]);
      await producer.partitionsFor(TOPIC);
      let c1Attempts = 0;
      cluster.faultFor = (_call, req) => {
        // b1 comes back NOT_LEADER_OR_FOLLOWER only after c1's UNKNOWN_PRODUCER_ID caused a bump.
        if (valuesIn(req, 0).includes('b1') && cluster.produceCalls <= 2) return { kind: 'delay', ms: 300, then: { kind: 'error', code: 6 } };
        if (valuesIn(req, 1).includes('c1') && c1Attempts++ === 0) return { kind: 'error', code: 59 };
        return null;
      };
      send('b1', 0);
      await cluster.clock.settle();
      send('c1', 1);
      // c1's error resets the producer's id or epoch, and c1 goes again under it, while b1 is still out.
      await until(cluster, () => cluster.partition(TOPIC, 1).values.length > 0, 250);
      expect(cluster.partition(TOPIC, 1).values).toEqual(['c1']);
      send('b3', 0);
      await until(cluster, settled);
      check();
      expect(cluster.partition(TOPIC, 0).values).toEqual(['b1', 'b3']);
      expect(cluster.partition(TOPIC, 1).values).toEqual(['c1']);
      expect(cluster.partition(TOPIC, 0).log.map((b) => [b.epoch, b.baseSequence])).toEqual([
        [0, 0],
        [1, 0],
      ]);
      expect(producer.metrics().epochBumps).toBe(1);
    });

    it('finding 3: a retry refused for good does not renumber later batches: every acknowledged record is in the log', async () => {
      const { cluster, producer, outcomes, send, settled, check } = setup();
      await producer.partitionsFor(TOPIC);
      // v0 is written but its answer lost; its retry is refused (INVALID_TIMESTAMP).
      let v0Attempts = 0;
      cluster.faultFor = (_call, req) => {
        if (!valuesIn(req, 0).includes('v0')) return null;
        return ++v0Attempts === 1 ? { kind: 'lose-response' } : { kind: 'error', code: 32, partitions: [0] };
      };
      send('v0');
      await cluster.clock.settle();
      send('v1');
      await until(cluster, settled);
      send('v2');
      await until(cluster, settled);
      check();
      const log = cluster.partition(TOPIC, 0).values;
      for (const v of acked(outcomes)) expect(log, `${v} acknowledged but not written`).toContain(v);
      expect(duplicates(log)).toEqual([]);
      expect(outcomes.get('v1')?.err).toBeNull();
      expect(outcomes.get('v2')?.err).toBeNull();
    });

    it('finding 4: the halves of a batch split after a bump keep their parent\'s id, epoch and sequences', async () => {
      const { cluster, producer, outcomes, send, settled, check } = setup({ lingerMs: 1000 }, [{ name: TOPIC, partitions: 2, leaders: [1, 2] }]);
      await producer.partitionsFor(TOPIC);
      let c1Attempts = 0;
      cluster.faultFor = (_call, req) => {
        if (valuesIn(req, 0).includes('first')) return { kind: 'delay', ms: 300 };
        if (valuesIn(req, 0).length === 10) return { kind: 'delay', ms: 300, then: { kind: 'error', code: 10 } };
        if (valuesIn(req, 1).includes('c1') && c1Attempts++ === 0) return { kind: 'error', code: 59 };
        return null;
      };
      // One batch first, so the one split sits at sequence 1, not where a new producer id would start;
      // the ten records linger behind it (its answer is held), so they leave as one batch, on any host.
      send('first', 0);
      await cluster.clock.settle();
      for (let i = 0; i < 10; i++) send(`a${i}`, 0);
      await cluster.clock.advance(350);
      // The ten are in flight: c1's error now bumps the epoch, and then they come back too large and are split.
      send('c1', 1);
      await until(cluster, settled);
      check();
      expect(acked(outcomes)).toHaveLength(12);
      expect(cluster.partition(TOPIC, 0).values).toEqual(['first', ...Array.from({ length: 10 }, (_, i) => `a${i}`)]);
      const producerId = cluster.partition(TOPIC, 0).log[0]?.producerId;
      expect(cluster.partition(TOPIC, 0).log.map((b) => [b.producerId, b.epoch, b.baseSequence])).toEqual([
        [producerId, 0, 0],
        [producerId, 0, 1],
        [producerId, 0, 6],
      ]);
      expect(producer.metrics().splits).toBe(1);
    });

    it('UNKNOWN_PRODUCER_ID: the batch is numbered again under a bumped epoch and written once', async () => {
      const { cluster, producer, outcomes, send, settled, check } = setup();
      await producer.partitionsFor(TOPIC);
      send('v0');
      await until(cluster, settled);
      // The broker forgets us (e.g. the producer state expired): v1 at sequence 1 is unknown to it.
      cluster.partition(TOPIC, 0).forgetProducers();
      send('v1');
      await until(cluster, settled);
      check();
      expect(outcomes.get('v1')?.err).toBeNull();
      expect(cluster.partition(TOPIC, 0).log.map((b) => [b.values[0], b.epoch, b.baseSequence])).toEqual([
        ['v0', 0, 0],
        ['v1', 1, 0],
      ]);
    });

    it('OUT_OF_ORDER_SEQUENCE_NUMBER behind a pending batch is retried with the same numbers', async () => {
      const { cluster, producer, outcomes, send, settled, check } = setup();
      await producer.partitionsFor(TOPIC);
      const codes = answeredCodes(cluster.partition(TOPIC, 0));
      send('v0');
      await until(cluster, settled);
      // v1 is refused (not written) but its answer comes late; v2, sent meanwhile, arrives out of order and goes again after v1.
      cluster.faultFor = (_call, req) => (valuesIn(req, 0).includes('v1') && codes.length === 1 ? { kind: 'delay', ms: 300, then: { kind: 'error', code: 7 } } : null);
      send('v1');
      await cluster.clock.settle();
      send('v2');
      await until(cluster, settled);
      check();
      expect(codes).toEqual([0, 45, 0, 0]);
      expect(acked(outcomes)).toEqual(['v0', 'v1', 'v2']);
      expect(cluster.partition(TOPIC, 0).log.map((b) => [b.values[0], b.epoch, b.baseSequence])).toEqual([
        ['v0', 0, 0],
        ['v1', 0, 1],
        ['v2', 0, 2],
      ]);
      expect(producer.metrics().epochBumps).toBe(0);
    });

    it('DUPLICATE_SEQUENCE_NUMBER, as brokers before 2.8 answered a retry they had written, is success', async () => {
      const { cluster, producer, outcomes, send, settled, check } = setup();
      await producer.partitionsFor(TOPIC);
      const part = cluster.partition(TOPIC, 0);
      part.duplicateErrorCode = 46;
      const codes = answeredCodes(part);
      // v0 is written, its answer lost: the retry is a duplicate.
      cluster.faults.push({ kind: 'lose-response' });
      send('v0');
      await until(cluster, settled);
      send('v1');
      await until(cluster, settled);
      check();
      expect(codes).toEqual([0, 46, 0]);
      expect(outcomes.get('v0')).toMatchObject({ settles: 1, err: null });
      expect(acked(outcomes)).toEqual(['v0', 'v1']);
      expect(part.values).toEqual(['v0', 'v1']);
      expect(producer.metrics().epochBumps).toBe(0);
    });

    it('a batch whose answer came after requestTimeoutMs, with six later batches acknowledged meanwhile, is not numbered again', async () => {
      const { cluster, producer, outcomes, send, settled, check } = setup();
      await producer.partitionsFor(TOPIC);
      // v0 is written but its answer is held past requestTimeoutMs (the connection then closes). v1..v6 are taken
      // meanwhile, so v0's retry is older than the five batches the broker remembers: OUT_OF_ORDER_SEQUENCE_NUMBER.
      cluster.faults.push({ kind: 'delay', ms: 1500 });
      send('v0');
      await cluster.clock.settle();
      const later = ['v1', 'v2', 'v3', 'v4', 'v5', 'v6'];
      for (const v of later) {
        send(v);
        await cluster.clock.settle();
      }
      await until(cluster, settled);
      check();
      expect(acked(outcomes).sort()).toEqual(['v0', ...later]);
      expect(cluster.partition(TOPIC, 0).values).toEqual(['v0', ...later]);
      expect(producer.metrics().epochBumps).toBe(0);
    });
  });

  describe('timeouts, retries and metadata', () => {
    /** Sends one record with every request suffering `fault`; when (ms after the send) it failed, and how. */
    async function failureOf(options: Partial<ProducerOptions>, fault: ProduceFault) {
      const { cluster, producer, outcomes, send, settled } = setup(options);
      await producer.partitionsFor(TOPIC);
      cluster.faultFor = () => fault;
      const t0 = cluster.clock.now();
      let failedAt = -1;
      producer.on('deliveryError', () => {
        if (failedAt < 0) failedAt = cluster.clock.now() - t0;
      });
      send('v0');
      await until(cluster, settled, 10_000);
      return { producer, failedAt, err: outcomes.get('v0')?.err };
    }

    it('finding 5: with acks=0 and a broker that stopped reading, batches fail at deliveryTimeoutMs and flush() returns', async () => {
      const { producer, failedAt, err } = await failureOf({ acks: 0, enableIdempotence: false, deliveryTimeoutMs: 2000 }, { kind: 'stall' });
      expect(err).toBeInstanceOf(KafkaTimeoutError);
      expect(failedAt).toBeGreaterThanOrEqual(2000);
      expect(failedAt).toBeLessThanOrEqual(2010);
      await producer.flush();
    });

    it('a batch whose answers are all lost fails at deliveryTimeoutMs, not earlier, not requestTimeoutMs later', async () => {
      const { failedAt, err } = await failureOf({ deliveryTimeoutMs: 2500, requestTimeoutMs: 1000 }, { kind: 'lose-response' });
      expect(err).toBeInstanceOf(KafkaTimeoutError);
      expect(failedAt).toBeGreaterThanOrEqual(2500);
      expect(failedAt).toBeLessThanOrEqual(2510);
    });

    it('metrics() counts retries as they happen, while the record still waits for its outcome', async () => {
      const { cluster, producer, outcomes, send } = setup({ deliveryTimeoutMs: 60_000 });
      await producer.partitionsFor(TOPIC);
      cluster.faultFor = () => ({ kind: 'error', code: 7 }); // REQUEST_TIMED_OUT, retriable
      send('v0');
      await until(cluster, () => cluster.produceCalls >= 3, 10_000);
      // On a worker thread the counters cross a thread: give them a little (fake) time.
      await until(cluster, () => producer.metrics().retries >= 2, 1_000);
      expect(outcomes.get('v0')?.settles).toBe(0);
      expect(producer.metrics().retries).toBeGreaterThanOrEqual(2);
    });

    it('a finite retries runs out: the batch fails with the last error after retries + 1 attempts', async () => {
      const { cluster, producer, outcomes, send, settled } = setup({ retries: 2, enableIdempotence: false });
      await producer.partitionsFor(TOPIC);
      cluster.faultFor = () => ({ kind: 'error', code: 7 }); // REQUEST_TIMED_OUT, retriable
      send('v0');
      await until(cluster, settled);
      expect(outcomes.get('v0')?.err?.message).toMatch(/REQUEST_TIMED_OUT/);
      expect(cluster.produceCalls).toBe(3);
    });

    it('a partition missing from the answer is sent again, and the broker drops the duplicate', async () => {
      const { cluster, producer, outcomes, send, settled, check } = setup();
      await producer.partitionsFor(TOPIC);
      cluster.faults.push({ kind: 'omit', partitions: [0] });
      send('v0');
      await until(cluster, settled);
      check();
      expect(outcomes.get('v0')?.err).toBeNull();
      expect(cluster.partition(TOPIC, 0).values).toEqual(['v0']);
      expect(cluster.produceCalls).toBe(2);
    });

    it('finding 6: a topic deleted and created again (new id, leader epochs from 0) is followed to its new leader', async () => {
      const { cluster, producer, outcomes, send, settled } = setup();
      for (let i = 0; i < 3; i++) cluster.moveLeader(TOPIC, 0, 1);
      await producer.partitionsFor(TOPIC);
      send('before');
      await until(cluster, settled);
      cluster.recreate(TOPIC);
      send('after');
      await until(cluster, settled, 4000);
      expect(outcomes.get('after')).toMatchObject({ settles: 1, err: null });
      expect(cluster.partition(TOPIC, 0).values).toEqual(['after']);
    });

    it('finding 7: a leaderless partition with records queued costs one Metadata request per retryBackoffMs, not one per drain', async () => {
      const { cluster, producer, send } = setup({ retryBackoffMs: 100 });
      await producer.partitionsFor(TOPIC);
      cluster.moveLeader(TOPIC, 0, -1);
      // The next refresh learns the partition has no leader.
      send('v0', 1);
      cluster.faults.push({ kind: 'error', code: 6, partitions: [1] });
      await cluster.clock.advance(300);
      const before = cluster.metadataCalls;
      send('v1', 0);
      await cluster.clock.advance(2000);
      const calls = cluster.metadataCalls - before;
      expect(calls).toBeGreaterThan(5);
      expect(calls).toBeLessThanOrEqual(21);
    });

    it('finding 8: a fatal InitProducerId error fails every record at once, once, and is not asked again', async () => {
      const { cluster, producer, outcomes, send, settled, check } = setup();
      cluster.initProducerIdError = 31; // CLUSTER_AUTHORIZATION_FAILED
      const fatal: Error[] = [];
      producer.on('fatalError', (e) => fatal.push(e));
      await producer.partitionsFor(TOPIC);
      send('v0');
      await cluster.clock.advance(100);
      await until(cluster, settled, 1000);
      check();
      expect(outcomes.get('v0')?.err).toBeInstanceOf(ProducerFatalError);
      expect(fatal).toHaveLength(1);
      await cluster.clock.advance(2000);
      expect(cluster.initProducerIdCalls).toHaveLength(1);
    });
  });

  describe('linger', () => {
    it('a batch leaves at once while its leader has no request in flight: an awaited send costs a round trip, not lingerMs', async () => {
      const { cluster, producer, outcomes, send, settled } = setup({ lingerMs: 1000 });
      await producer.partitionsFor(TOPIC);
      const t0 = cluster.clock.now();
      send('v0');
      await until(cluster, settled);
      expect(outcomes.get('v0')?.err).toBeNull();
      expect(cluster.clock.now() - t0).toBeLessThan(100);
    });

    it('while a request is in flight, the next batch lingers until the wire is idle again (or lingerMs)', async () => {
      const { cluster, producer, send, settled } = setup({ lingerMs: 1000 });
      await producer.partitionsFor(TOPIC);
      const t0 = cluster.clock.now();
      const sentAt: number[] = [];
      cluster.faultFor = (call) => {
        sentAt.push(cluster.clock.now() - t0);
        return call === 0 ? { kind: 'delay', ms: 300 } : null;
      };
      send('v0');
      await cluster.clock.settle();
      send('v1');
      await cluster.clock.settle();
      send('v2');
      await until(cluster, settled);
      // v0 at once; v1 and v2 waited together for v0's answer, and went in one request.
      expect(sentAt).toHaveLength(2);
      expect(sentAt[0]).toBeLessThan(50);
      expect(sentAt[1]).toBeGreaterThanOrEqual(300);
      expect(sentAt[1]).toBeLessThan(400);
      expect(cluster.partition(TOPIC, 0).log.map((b) => b.values)).toEqual([['v0'], ['v1', 'v2']]);
    });
  });

  describe('batches that grow under a backlog', () => {
    const GROW = { batchSize: 1024, maxBatchSize: 8192, lingerMs: 1000 };
    /** ~110 bytes a record: about 8 fill batchSize, about 70 maxBatchSize. */
    const big = (i: number) => `g${String(i).padStart(4, '0')}${'x'.repeat(100)}`;
    const bigs = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => big(from + k));
    /** Each batch's base sequence is the count of records numbered before it: one batch, one base sequence, contiguous records. */
    const numberedContiguously = (log: LoggedBatch[]) => {
      let next = 0;
      return log.every((b) => {
        const ok = b.baseSequence === next;
        next += b.values.length;
        return ok;
      });
    };

    /**
     * The first request is answered 300 ms late: big(0) goes alone, at once,
     * and big(1..n) pile up behind it. `fault` judges the later requests.
     */
    async function backlog(n: number, fault: (call: number, req: ProduceRequest) => ProduceFault | null = () => null, maxMessageBytes = Infinity) {
      const s = setup(GROW);
      s.cluster.maxMessageBytes = maxMessageBytes;
      await s.producer.partitionsFor(TOPIC);
      s.cluster.faultFor = (call, req) => (call === 0 ? { kind: 'delay', ms: 300 } : fault(call, req));
      s.send(big(0));
      await s.cluster.clock.settle();
      for (let i = 1; i <= n; i++) s.send(big(i));
      await until(s.cluster, s.settled);
      s.check();
      const log = s.cluster.partition(TOPIC, 0).log;
      expect(acked(s.outcomes)).toHaveLength(n + 1);
      expect(log.flatMap((b) => b.values)).toEqual(bigs(0, n + 1));
      expect(numberedContiguously(log)).toBe(true);
      return { ...s, log };
    }

    it('records that pile up while a request is in flight go in batches larger than batchSize, up to maxBatchSize, numbered contiguously', async () => {
      const { log } = await backlog(300);
      // The first went alone, at once; every full one after it grew to the cap, the last holds the rest.
      expect(log[0]?.values).toEqual([big(0)]);
      const full = log.slice(1, -1);
      expect(full.length).toBeGreaterThanOrEqual(3);
      for (const b of full) {
        expect(b.bytes).toBeGreaterThan(8192 - 150);
        expect(b.bytes).toBeLessThanOrEqual(8192);
      }
      expect(new Set(log.map((b) => `${b.producerId}/${b.epoch}`)).size).toBe(1);
    });

    it('a batch of another partition in flight is a backlog too: records spread over partitions go in batches past batchSize', async () => {
      const { producer, cluster, send, settled, check } = setup(GROW);
      await producer.partitionsFor(TOPIC);
      // Partition 1's batch is answered 300 ms late; partition 0 has nothing of its own before its records.
      cluster.faultFor = (_call, req) => (valuesIn(req, 1).length > 0 ? { kind: 'delay', ms: 300 } : null);
      send('other', 1);
      await cluster.clock.settle();
      for (let i = 0; i < 100; i++) send(big(i));
      await until(cluster, settled);
      check();
      const log = cluster.partition(TOPIC, 0).log;
      expect(log.flatMap((b) => b.values)).toEqual(bigs(0, 100));
      // With one batch per partition in a request, batches kept at batchSize would cap each request at 1024 bytes here.
      expect(log[0]?.bytes).toBeGreaterThan(8192 - 150);
      expect(log[0]?.bytes).toBeLessThanOrEqual(8192);
    });

    it('without a backlog a full batch is sealed at batchSize, and an awaited send goes at once, alone', async () => {
      const { producer, cluster, outcomes, send, settled, check } = setup(GROW);
      await producer.partitionsFor(TOPIC);
      // Bursts of 12 records, each after the previous burst settled: the first batch of a burst has nothing before it.
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 12; i++) send(big(round * 12 + i));
        await until(cluster, settled);
      }
      const t0 = cluster.clock.now();
      send('lone');
      await until(cluster, settled);
      expect(outcomes.get('lone')?.md?.offset).toBe(36);
      expect(cluster.clock.now() - t0).toBeLessThan(100);
      check();
      const log = cluster.partition(TOPIC, 0).log;
      expect(log.flatMap((b) => b.values)).toEqual([...bigs(0, 36), 'lone']);
      expect(log.at(-1)?.values).toEqual(['lone']);
      // A Sender on a thread of its own may find the wire idle after a burst's first records and send them at once;
      // the rest then has a batch in flight before it, a backlog, and may grow. Elsewhere it runs between bursts.
      if (where === 'thread') return;
      for (const b of log) expect(b.bytes).toBeLessThanOrEqual(1024);
      // Each burst: a batch sealed full at batchSize, though four more records came right behind it, then those four.
      expect(log.slice(0, 6).map((b) => b.values.length)).toEqual([8, 4, 8, 4, 8, 4]);
    });

    it('a grown batch whose answers are lost is sent again as it was: same numbers, written once', async () => {
      let lost = 0;
      // The first grown batch is written, but its answer is lost, then its connection drops after the write.
      const { producer, log } = await backlog(200, (_call, req) =>
        valuesIn(req, 0).length > 20 && lost < 2 ? (lost++ === 0 ? { kind: 'lose-response' } : { kind: 'drop-after-write' }) : null,
      );
      expect(lost).toBe(2);
      expect(duplicates(log.flatMap((b) => b.values))).toEqual([]);
      expect(log.some((b) => b.bytes > 1024)).toBe(true);
      expect(producer.metrics().retries).toBeGreaterThanOrEqual(2);
    });

    it('MESSAGE_TOO_LARGE splits a grown batch until its parts fit; the parts keep contiguous numbers', async () => {
      // The topic takes batches of up to 3000 bytes: a batch grown to 8192 is split, and its halves again.
      const { producer, log } = await backlog(200, () => null, 3000);
      for (const b of log) expect(b.bytes).toBeLessThanOrEqual(3000);
      expect(log.some((b) => b.bytes > 1024)).toBe(true);
      expect(producer.metrics().splits).toBeGreaterThanOrEqual(4);
    });

    it('with bufferMemory spent, grown batches and waiting sends still deliver every record once, in order', async () => {
      const { cluster, producer, outcomes, send, settled, check } = setup({ ...GROW, bufferMemory: 8192 });
      await producer.partitionsFor(TOPIC);
      cluster.faultFor = () => ({ kind: 'delay', ms: 50 });
      let lowest = Infinity;
      let waited = 0;
      for (let i = 0; i < 400; i++) {
        // Paced as the README says: while a send waits for memory, no new one.
        while (producer.needsDrain) await cluster.clock.advance(10);
        send(big(i));
        const m = producer.metrics();
        lowest = Math.min(lowest, m.bufferAvailableBytes);
        waited += m.recordsWaiting;
      }
      expect(lowest).toBe(0);
      expect(waited).toBeGreaterThan(0);
      await until(cluster, settled);
      check();
      expect(acked(outcomes)).toHaveLength(400);
      const log = cluster.partition(TOPIC, 0).log;
      expect(log.flatMap((b) => b.values)).toEqual(bigs(0, 400));
      expect(log.some((b) => b.bytes > 1024)).toBe(true);
      expect(numberedContiguously(log)).toBe(true);
    });
  });

  describe('close()', () => {
    it('fails batches in flight once each: a late answer after close reports nothing more', async () => {
      const { cluster, producer, outcomes, send, check } = setup();
      await producer.partitionsFor(TOPIC);
      cluster.faultFor = () => ({ kind: 'delay', ms: 200 });
      for (let i = 0; i < 6; i++) {
        send(`v${i}`, i % 2);
        await cluster.clock.settle();
      }
      await producer.close({ timeoutMs: 0 });
      await cluster.clock.advance(500);
      check();
      expect([...outcomes.values()].every((o) => o.err?.name === 'ProducerClosedError')).toBe(true);
    });
  });
});

describe.skipIf(!HOSTS.some(([, h]) => h === 'thread'))('a sender thread that fails, through the producer', () => {
  beforeEach(() => {
    host = 'thread';
  });

  it('every record is settled once: those acknowledged before the failure succeed, the rest fail with ProducerFatalError', async () => {
    const { cluster, producer, outcomes, send, settled, bridge } = setup({}, [{ name: TOPIC, partitions: 3, leaders: [1, 2, 3] }]);
    await producer.partitionsFor(TOPIC);
    const fatal: Error[] = [];
    producer.on('fatalError', (e) => fatal.push(e));
    for (let i = 0; i < 20; i++) send(`done${i}`, i % 3);
    await until(cluster, settled);
    // When the thread fails, partition 1's records are in flight (their answers held) and partition 2's
    // are queued (its leader moved away and the next one is not elected yet).
    cluster.faultFor = (_call, req) => {
      if (valuesIn(req, 1).length > 0) return { kind: 'delay', ms: 60_000 };
      if (valuesIn(req, 2).length > 0) return { kind: 'error', code: 6, partitions: [2] };
      return null;
    };
    cluster.moveLeader(TOPIC, 2, -1);
    await cluster.clock.advance(1000);
    for (let i = 0; i < 30; i++) send(`late${i}`, i % 3);
    await cluster.clock.advance(50);
    expect(acked(outcomes), 'partition 0 went on').toHaveLength(30);
    bridge?.crash('a bug in the sender');
    await until(cluster, settled, 10_000);
    for (const [v, o] of outcomes) expect(o.settles, `record ${v} settled ${o.settles} times`).toBe(1);
    for (let i = 0; i < 30; i++) {
      const { err } = outcomes.get(`late${i}`) ?? {};
      if (i % 3 === 0) expect(err, `late${i} was acknowledged before the failure`).toBeNull();
      else {
        expect(err, `late${i}, in flight or queued, fails`).toBeInstanceOf(ProducerFatalError);
        expect(err?.message).toMatch(/the sender thread failed: a bug in the sender/);
      }
    }
    // Everything acknowledged is in the fake logs: nothing reported written that was not.
    const logged = [0, 1, 2].flatMap((p) => cluster.partition(TOPIC, p).values);
    for (const v of acked(outcomes)) expect(logged).toContain(v);
    expect(fatal).toHaveLength(1);
    // The producer refuses new records at once, and closes.
    await expect(producer.send({ topic: TOPIC, partition: 0, value: 'after' })).rejects.toBeInstanceOf(ProducerFatalError);
    await producer.close({ timeoutMs: 1000 });
  });
});
