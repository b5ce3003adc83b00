// Real faults on a broker of this file's own (stopped and restarted by the
// test): records outlive nothing silently. Each record's outcome arrives
// exactly once when the broker stays down past deliveryTimeoutMs and when
// close() gives up; send() blocks and then fails after maxBlockMs when
// bufferMemory is full, with memory bounded; and with one request in flight,
// order per partition holds across retries through a broker restart.

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BufferExhaustedError, KafkaProducer, KafkaTimeoutError, ProducerClosedError, type RecordMetadata } from 'kafka-producer-ts';
import { restartNode, startCluster, stopCluster, stopNode, type ClusterState } from '../../scripts/kafka/broker.js';
import { createTopic, kcatConsume, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');
const NAME = 'faults';
/** This file starts its own broker: it needs the local jars, not an external cluster. */
const local = env.libsDir !== null;

let state: ClusterState;

/** Stops the broker; `crash` kills it at once (SIGKILL), cutting requests in flight. */
async function brokerDown(crash = false): Promise<void> {
  await stopNode(state.nodes[0] as ClusterState['nodes'][number], crash ? 0 : 20_000);
}

async function brokerUp(): Promise<void> {
  await restartNode(state, 1);
}

function collect(n: number) {
  const counts = new Array<number>(n).fill(0);
  const outcomes: (Error | RecordMetadata)[] = new Array(n);
  let settled = 0;
  let resolveAll: () => void = () => {};
  const all = new Promise<void>((r) => (resolveAll = r));
  return {
    counts,
    outcomes,
    all,
    cb: (i: number) => (err: Error | null, md?: RecordMetadata) => {
      counts[i] = (counts[i] ?? 0) + 1;
      outcomes[i] = err ?? (md as RecordMetadata);
      if (++settled === n) resolveAll();
    },
  };
}

describe.skipIf(!local)('faults on a broker of our own', () => {
  beforeAll(async () => {
    state = await startCluster({ name: NAME, basePort: 25092, version: env.version, ownerPid: process.pid });
  });

  afterAll(async () => {
    await stopCluster(NAME);
  });

  it('broker down until the delivery timeout: every record fails exactly once with a timeout', async () => {
    const topic = uniqueTopic('down');
    await createTopic(state.bootstrap, topic, 2);
    const p = new KafkaProducer({ bootstrapServers: state.bootstrap, lingerMs: 0, requestTimeoutMs: 1000, deliveryTimeoutMs: 3000, retryBackoffMaxMs: 200 });
    try {
      await p.send({ topic, value: 'while up' });
      await brokerDown();
      const n = 200;
      const c = collect(n);
      for (let i = 0; i < n; i++) p.send({ topic, key: `k${i}`, value: `v${i}` }, c.cb(i));
      await c.all;
      // A little longer than the timeout, to see that nothing settles twice.
      await new Promise((r) => setTimeout(r, 500));
      expect(c.counts.every((x) => x === 1)).toBe(true);
      for (const o of c.outcomes) {
        expect(o).toBeInstanceOf(KafkaTimeoutError);
        expect((o as Error).message).toMatch(/Expiring \d+ record\(s\) for down-.*-\d: \d+ ms has passed since batch creation/);
      }
      expect(p.metrics().recordsFailed).toBe(n);
    } finally {
      await p.close({ timeoutMs: 0 });
      await brokerUp();
    }
  });

  it('close() with records pending: each fails exactly once with ProducerClosedError, and close returns', async () => {
    const topic = uniqueTopic('close');
    await createTopic(state.bootstrap, topic, 1);
    const p = new KafkaProducer({ bootstrapServers: state.bootstrap, lingerMs: 0, requestTimeoutMs: 1000, retryBackoffMaxMs: 200 });
    await p.send({ topic, value: 'while up' });
    await brokerDown();
    try {
      const n = 100;
      const c = collect(n);
      for (let i = 0; i < n; i++) p.send({ topic, value: `pending-${i}` }, c.cb(i));
      await p.close({ timeoutMs: 500 });
      await c.all;
      expect(c.counts.every((x) => x === 1)).toBe(true);
      expect(c.outcomes.every((o) => o instanceof ProducerClosedError)).toBe(true);
    } finally {
      await brokerUp();
    }
  });

  it('small bufferMemory and the broker stopped: send() waits, then fails after maxBlockMs; sends past the bound fail at once; memory stays bounded', async () => {
    const topic = uniqueTopic('memory');
    await createTopic(state.bootstrap, topic, 1);
    const bufferMemory = 8192;
    const p = new KafkaProducer({
      bootstrapServers: state.bootstrap,
      batchSize: 1024,
      bufferMemory,
      maxBlockMs: 1000,
      lingerMs: 0,
      requestTimeoutMs: 1000,
      deliveryTimeoutMs: 60_000,
    });
    try {
      await p.send({ topic, value: 'while up' });
      await brokerDown();
      const n = 300;
      const c = collect(n);
      let peakHeld = 0;
      for (let i = 0; i < n; i++) {
        p.send({ topic, value: 'm'.repeat(200) }, c.cb(i));
        const m = p.metrics();
        peakHeld = Math.max(peakHeld, m.bufferTotalBytes - m.bufferAvailableBytes);
      }
      // Waiting sends share bufferMemory with the batches: about one batchSize of them may wait, the rest fail at once.
      const waiting = p.metrics().recordsWaiting;
      expect(waiting).toBeGreaterThan(0);
      expect(p.metrics().waitingBytes).toBeLessThanOrEqual(1024);
      await new Promise((r) => setImmediate(r));
      const refused = c.outcomes.filter((o) => o instanceof BufferExhaustedError && /pace sends/.test(o.message)).length;
      expect(refused).toBeGreaterThan(n / 2);
      const started = Date.now();
      // The waiting ones settle after maxBlockMs; the appended ones wait for the broker.
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (c.outcomes.filter((o) => o instanceof BufferExhaustedError).length === waiting + refused) {
            clearInterval(check);
            resolve();
          }
        }, 20);
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(800);
      const exhausted = c.outcomes.find((o) => o instanceof BufferExhaustedError && /within maxBlockMs/.test(o.message)) as Error;
      expect(exhausted.message).toMatch(/within maxBlockMs \(1000 ms\).*8192 bytes of bufferMemory/);
      expect(peakHeld).toBeLessThanOrEqual(bufferMemory);
      const m = p.metrics();
      expect(m.bufferTotalBytes).toBe(bufferMemory);
      expect(m.bufferTotalBytes - m.bufferAvailableBytes).toBeLessThanOrEqual(bufferMemory);
    } finally {
      await p.close({ timeoutMs: 0 });
      await brokerUp();
    }
  });

  it('one request in flight keeps order per partition while retries happen (broker restart)', async () => {
    const topic = uniqueTopic('ordered');
    await createTopic(state.bootstrap, topic, 1);
    const p = new KafkaProducer({
      bootstrapServers: state.bootstrap,
      enableIdempotence: false,
      maxInFlightRequestsPerConnection: 1,
      lingerMs: 5,
      // Batches that do not grow: the stream takes many requests, so that one is in flight when the broker dies
      // (grown, 20,000 short records fit in a few requests, all answered before it dies, and nothing is retried).
      batchSize: 2048,
      maxBatchSize: 2048,
      requestTimeoutMs: 2000,
      retryBackoffMaxMs: 300,
    });
    try {
      const n = 20_000;
      const c = collect(n);
      let i = 0;
      // A steady stream, so that requests are in flight when the broker dies.
      const sending = (async () => {
        for (; i < n; i++) {
          p.send({ topic, value: String(i) }, c.cb(i));
          if (i % 100 === 99) await new Promise((r) => setImmediate(r));
        }
      })();
      // Kill it once records are flowing: a quarter acknowledged.
      while (c.counts.filter((x) => x > 0).length < n / 4) await new Promise((r) => setTimeout(r, 1));
      await brokerDown(true);
      await new Promise((r) => setTimeout(r, 1500));
      await brokerUp();
      await sending;
      await c.all;
      expect(c.counts.every((x) => x === 1)).toBe(true);
      expect(c.outcomes.filter((o) => o instanceof Error)).toEqual([]);
      expect(p.metrics().retries).toBeGreaterThan(0);
      const values = (await kcatConsume(state.bootstrap, topic)).map((m) => Number(m.payload));
      // Without idempotence a retried batch may land twice, but never out of order:
      // the first appearances are 0, 1, 2, ... n-1.
      const seen = new Set<number>();
      const firsts = values.filter((v) => !seen.has(v) && seen.add(v));
      expect(firsts).toEqual(Array.from({ length: n }, (_, k) => k));
    } finally {
      await p.close();
    }
  });
});
