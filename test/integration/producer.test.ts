// KafkaProducer against the real broker, with the sender on a worker thread
// and on the main thread: the three ways of sending, exactly-once outcomes,
// partitioning, serializers, clear errors for bad input, batches closing on
// batchSize and lingerMs (judged by DumpLogSegments), unknown topics, and a
// process that exits by itself after close().

import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ConfigError,
  InvalidRecordError,
  KafkaProducer,
  KafkaTimeoutError,
  ProducerClosedError,
  SerializationError,
  partitionForKey,
  type RecordMetadata,
} from 'kafka-producer-ts';
import { runChild } from '../support/child-process.js';
import { createTopic, dumpLogSegments, kcatConsume, partitionLogFiles, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');

/** Settles of each record index, to prove "exactly once". */
function outcomeCounter(n: number) {
  const counts = new Array<number>(n).fill(0);
  const errors: Error[] = [];
  const metadata: RecordMetadata[] = [];
  let settled = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((r) => (done = r));
  return {
    counts,
    errors,
    metadata,
    all,
    callback(i: number) {
      return (err: Error | null, md?: RecordMetadata) => {
        counts[i] = (counts[i] ?? 0) + 1;
        if (err) errors.push(err);
        else if (md) metadata.push(md);
        if (++settled === n) done();
      };
    },
  };
}

describe.each([
  ['worker thread', true],
  ['main thread', false],
])('KafkaProducer with the sender on the %s', (_name, worker) => {
  let producer: KafkaProducer;
  let topic: string;

  beforeAll(async () => {
    topic = uniqueTopic(`producer-${worker ? 'w' : 'm'}`);
    await createTopic(env.bootstrap, topic, 3);
    producer = new KafkaProducer({ bootstrapServers: env.bootstrap, worker });
  });

  afterAll(async () => {
    await producer.close();
  });

  it('awaited send resolves with topic, partition, offset and timestamp, and kcat agrees', async () => {
    const md = await producer.send({ topic, key: 'order-1', value: 'created', timestamp: 1_700_000_000_123, headers: { trace: 't-1' } });
    expect(md.topic).toBe(topic);
    expect(md.partition).toBe(partitionForKey(Buffer.from('order-1'), 3));
    expect(md.offset).toBeGreaterThanOrEqual(0);
    expect(md.timestamp).toBe(1_700_000_000_123);
    const read = (await kcatConsume(env.bootstrap, topic, md.partition)).find((m) => m.offset === md.offset);
    expect(read).toMatchObject({ key: 'order-1', payload: 'created', ts: 1_700_000_000_123, headers: ['trace', 't-1'] });
  });

  it('fire-and-forget, callbacks and .then all deliver, each record settling exactly once', async () => {
    const n = 3000;
    const before = producer.metrics().recordsSent;
    const oc = outcomeCounter(n);
    const thens: Promise<RecordMetadata>[] = [];
    for (let i = 0; i < n; i++) {
      const record = { topic, key: `k${i % 50}`, value: `v${i}` };
      if (i % 3 === 0) producer.send(record);
      else if (i % 3 === 1) producer.send(record, oc.callback(i));
      else thens.push(producer.send(record).then((md) => md));
    }
    await producer.flush();
    const resolved = await Promise.all(thens);
    expect(resolved).toHaveLength(n / 3);
    expect(resolved.every((m) => m.offset >= 0)).toBe(true);
    const callbacks = oc.counts.filter((_, i) => i % 3 === 1);
    expect(callbacks.every((c) => c === 1)).toBe(true);
    expect(oc.errors).toEqual([]);
    expect(producer.metrics().recordsSent - before).toBe(n);
    expect(producer.metrics().recordsFailed).toBe(0);
  });

  it('keeps per-key order and puts each key where the Java client would', async () => {
    const t = uniqueTopic('order');
    await createTopic(env.bootstrap, t, 4);
    const n = 2000;
    for (let i = 0; i < n; i++) producer.send({ topic: t, key: `user-${i % 7}`, value: String(i) });
    await producer.flush();
    const messages = await kcatConsume(env.bootstrap, t);
    expect(messages).toHaveLength(n);
    const lastByKey = new Map<string, number>();
    for (const m of messages) {
      expect(m.partition).toBe(partitionForKey(Buffer.from(m.key as string), 4));
      const v = Number(m.payload);
      expect(v).toBeGreaterThan(lastByKey.get(m.key as string) ?? -1);
      lastByKey.set(m.key as string, v);
    }
  });

  it('bad records fail with typed errors that name the problem, and the others still go through', async () => {
    const results = await Promise.allSettled([
      // @ts-expect-error a plain object is not bytes without a valueSerializer
      producer.send({ topic, value: { not: 'bytes' } }),
      producer.send({ topic, value: 'fine' }),
      producer.send({ topic: '', value: 'x' }),
      producer.send({ topic, value: 'x'.repeat(2_000_000) }),
      producer.send({ topic, value: 'also fine', headers: { h: 'v' } }),
    ]);
    const [obj, ok1, noTopic, huge, ok2] = results;
    expect(obj?.status === 'rejected' && obj.reason).toBeInstanceOf(SerializationError);
    expect(obj?.status === 'rejected' && String(obj.reason.message)).toMatch(/valueSerializer/);
    expect(noTopic?.status === 'rejected' && noTopic.reason).toBeInstanceOf(InvalidRecordError);
    expect(noTopic?.status === 'rejected' && String(noTopic.reason.message)).toMatch(/topic must be a non-empty string/);
    expect(huge?.status === 'rejected' && String(huge.reason.message)).toMatch(/larger than maxRequestSize \(1048576\)/);
    expect(ok1?.status).toBe('fulfilled');
    expect(ok2?.status).toBe('fulfilled');
  });

  it('a failed fire-and-forget send is reported through the deliveryError event and metrics, not an unhandled rejection', async () => {
    const seen: Error[] = [];
    const listener = (err: Error) => seen.push(err);
    producer.on('deliveryError', listener);
    const failedBefore = producer.metrics().recordsFailed;
    // @ts-expect-error a number is not bytes without a valueSerializer
    producer.send({ topic, value: 42 });
    await producer.flush();
    await new Promise((r) => setTimeout(r, 10));
    producer.off('deliveryError', listener);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(SerializationError);
    expect(producer.metrics().recordsFailed - failedBefore).toBe(1);
  });

  it('explicit partitions, a custom partitioner, round-robin and a JSON serializer', async () => {
    const t = uniqueTopic('parts');
    await createTopic(env.bootstrap, t, 3);
    expect((await producer.send({ topic: t, value: 'p2', partition: 2 })).partition).toBe(2);

    const custom = new KafkaProducer({
      bootstrapServers: env.bootstrap,
      worker,
      partitioner: (_topic, key, _value, count) => (key ? key.length % count : 0),
      valueSerializer: (v: { a: number }) => JSON.stringify(v),
    });
    const rr = new KafkaProducer({ bootstrapServers: env.bootstrap, worker, partitioner: 'round-robin' });
    try {
      expect((await custom.send({ topic: t, key: 'abcd', value: { a: 1 } })).partition).toBe(1);
      const rrParts = await Promise.all(Array.from({ length: 9 }, (_, i) => rr.send({ topic: t, value: `rr${i}` })));
      const perPartition = [0, 1, 2].map((p) => rrParts.filter((m) => m.partition === p).length);
      expect(perPartition).toEqual([3, 3, 3]);
    } finally {
      await Promise.all([custom.close(), rr.close()]);
    }
    const json = (await kcatConsume(env.bootstrap, t, 1)).map((m) => m.payload);
    expect(json).toContain('{"a":1}');
  });

  it('keyless records stick to one partition for about batchSize bytes, then move (batches kept at batchSize)', async () => {
    const t = uniqueTopic('sticky');
    await createTopic(env.bootstrap, t, 3);
    // maxBatchSize = batchSize: a burst is a backlog, and batches that may grow keep the partition longer (test/unit/partitioners.test.ts).
    const p = new KafkaProducer({ bootstrapServers: env.bootstrap, worker, batchSize: 2048, maxBatchSize: 2048, lingerMs: 50 });
    try {
      const parts: number[] = [];
      for (let i = 0; i < 300; i++) p.send({ topic: t, value: 'x'.repeat(100) }, (_e, md) => md && parts.push(md.partition));
      await p.flush();
      expect(parts).toHaveLength(300);
      // Runs of the same partition, each about batchSize (2048 B ~ 17 records of ~120 B) long.
      let runs = 1;
      for (let i = 1; i < parts.length; i++) if (parts[i] !== parts[i - 1]) runs++;
      expect(runs).toBeGreaterThanOrEqual(300 / 25);
      expect(runs).toBeLessThanOrEqual(300 / 10);
    } finally {
      await p.close();
    }
  });

  it('unknown topic with auto-creation off fails clearly after maxBlockMs', async () => {
    const p = new KafkaProducer({ bootstrapServers: env.bootstrap, worker, maxBlockMs: 1500 });
    try {
      const missing = uniqueTopic('missing');
      const err = await p.send({ topic: missing, value: 'x' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(KafkaTimeoutError);
      expect((err as Error).message).toMatch(new RegExp(`Topic ${missing} not present in metadata after 1500 ms`));
    } finally {
      await p.close();
    }
  });

  it('partitionsFor lists partitions with their leaders', async () => {
    const parts = await producer.partitionsFor(topic);
    expect(parts.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
    expect(parts.every((p) => p.leader >= 0)).toBe(true);
  });

  it('send() after close() fails with ProducerClosedError', async () => {
    const p = new KafkaProducer({ bootstrapServers: env.bootstrap, worker });
    await p.send({ topic, value: 'before close' });
    await p.close();
    await expect(p.send({ topic, value: 'after close' })).rejects.toBeInstanceOf(ProducerClosedError);
  });
});

describe('options', () => {
  it('an unknown option or a wrong type is a ConfigError that names it', () => {
    expect(() => new KafkaProducer({ bootstrapServers: 'x:1', lingerMS: 5 } as never)).toThrow(/option lingerMS: is not a producer option/);
    expect(() => new KafkaProducer({ bootstrapServers: 'x:1', batchSize: '16k' } as never)).toThrow(ConfigError);
    expect(() => new KafkaProducer({ bootstrapServers: 'x:1', acks: 2 } as never)).toThrow(/option acks: must be 'all', -1, 0 or 1/);
  });

  it('explicit idempotence with conflicting options is an error; the default gives way', () => {
    expect(() => new KafkaProducer({ bootstrapServers: 'x:1', enableIdempotence: true, acks: 1 })).toThrow(/enableIdempotence: true conflicts with acks=1/);
    expect(() => new KafkaProducer({ bootstrapServers: 'x:1', deliveryTimeoutMs: 1000 })).toThrow(/deliveryTimeoutMs: must be at least lingerMs \+ requestTimeoutMs/);
  });
});

describe('batches close on batchSize and lingerMs (judged by DumpLogSegments)', () => {
  it.skipIf(env.logDirs.length === 0)('batchSize bounds every batch when maxBatchSize is batchSize; with the wire idle no record lingers, whatever lingerMs', async () => {
    const bySize = uniqueTopic('batch-size');
    const lingerLong = uniqueTopic('linger-long');
    const lingerZero = uniqueTopic('linger-zero');
    await Promise.all([createTopic(env.bootstrap, bySize, 1), createTopic(env.bootstrap, lingerLong, 1), createTopic(env.bootstrap, lingerZero, 1)]);

    // Batches that grow under a backlog are judged in test/integration/producer-delivery.test.ts.
    const small = new KafkaProducer({ bootstrapServers: env.bootstrap, batchSize: 1024, maxBatchSize: 1024, lingerMs: 1000 });
    for (let i = 0; i < 200; i++) small.send({ topic: bySize, value: 'y'.repeat(100) });
    await small.flush();
    await small.close();

    const long = new KafkaProducer({ bootstrapServers: env.bootstrap, lingerMs: 3000 });
    const zero = new KafkaProducer({ bootstrapServers: env.bootstrap, lingerMs: 0 });
    await zero.send({ topic: lingerZero, value: 'warm-up' });
    await long.partitionsFor(lingerLong);
    const pending: PromiseLike<unknown>[] = [];
    for (let i = 0; i < 5; i++) {
      pending.push(long.send({ topic: lingerLong, value: `l${i}` }));
      pending.push(zero.send({ topic: lingerZero, value: `z${i}` }));
      await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all(pending);
    await Promise.all([long.close(), zero.close()]);

    const files = [...partitionLogFiles(env, bySize, 0), ...partitionLogFiles(env, lingerLong, 0), ...partitionLogFiles(env, lingerZero, 0)];
    const dumped = await dumpLogSegments(env, files);
    const batchesOf = (t: string) => dumped.get(partitionLogFiles(env, t, 0)[0] as string) ?? [];

    const sized = batchesOf(bySize);
    expect(sized.reduce((n, b) => n + Number(b.count), 0)).toBe(200);
    for (const b of sized) expect(Number(b.size)).toBeLessThanOrEqual(1024);
    expect(sized.length).toBeGreaterThanOrEqual(200 / 9);
    expect(sized.every((b) => b.isvalid === 'true')).toBe(true);

    // 5 records 100 ms apart: each finds the leader's connection idle, so none waits out lingerMs 3000
    // (that records linger while a request is in flight is proven in test/unit/sender-rules.test.ts).
    expect(batchesOf(lingerLong).map((b) => b.count)).toEqual(['1', '1', '1', '1', '1']);
    // lingerMs 0 and 100 ms between records: a batch each (and the warm-up).
    expect(batchesOf(lingerZero).map((b) => b.count)).toEqual(['1', '1', '1', '1', '1', '1']);
  });
});

describe('process exit', () => {
  it('after close() a child process exits by itself: no socket, timer or worker is left', async () => {
    const t = uniqueTopic('exit');
    await createTopic(env.bootstrap, t, 1);
    const script = fileURLToPath(new URL('../support/close-and-exit.mjs', import.meta.url));
    const { code, out } = await runChild(script, [env.bootstrap, t], 20_000);
    expect(out).toContain('closed');
    expect(code, `the child did not exit by itself: ${out}`).toBe(0);
  });
});
