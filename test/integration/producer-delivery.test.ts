// What the producer puts on the broker, judged by kcat and DumpLogSegments:
// every codec, acks 0, 1 and all, idempotent batches with gap-free sequences,
// batches split on MESSAGE_TOO_LARGE until they fit the topic's limit, and
// batches grown past batchSize under a backlog.

import { describe, expect, inject, it } from 'vitest';
import { KafkaProducer, type RecordMetadata } from 'kafka-producer-ts';
import { COMPRESSION_TYPES, CODEC_ID } from '../../src/protocol/compression.js';
import { createTopic, dumpLogSegments, kcatConsume, kcatConsumeAtLeast, partitionLogFiles, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');
/** DumpLogSegments reads the local broker's log files: against KAFKA_BROKERS those tests are skipped, and say so. */
const local = env.logDirs.length > 0;

/** Batches of one partition as DumpLogSegments prints them. */
async function dumped(topic: string, partition = 0) {
  const file = partitionLogFiles(env, topic, partition)[0] as string;
  return (await dumpLogSegments(env, [file])).get(file) ?? [];
}

describe('codecs and acks through the producer', () => {
  for (const codec of COMPRESSION_TYPES) {
    const n = 500;
    let topic = '';
    it(`${codec}: records read back by kcat`, async () => {
      topic = uniqueTopic(`codec-${codec}`);
      await createTopic(env.bootstrap, topic, 1);
      const p = new KafkaProducer({ bootstrapServers: env.bootstrap, compressionType: codec, lingerMs: 20, batchSize: 4096 });
      try {
        for (let i = 0; i < n; i++) p.send({ topic, key: `k${i % 10}`, value: `${codec} record ${i} ${'pad'.repeat(i % 20)}`, headers: { i: String(i) } });
        await p.flush();
      } finally {
        await p.close();
      }
      const messages = await kcatConsume(env.bootstrap, topic);
      expect(messages.map((m) => m.payload)).toEqual(Array.from({ length: n }, (_, i) => `${codec} record ${i} ${'pad'.repeat(i % 20)}`));
      expect(messages[7]?.headers).toEqual(['i', '7']);
    });

    it.skipIf(!local)(`${codec}: DumpLogSegments shows the codec, valid CRCs and gap-free sequences`, async () => {
      expect(topic, 'the topic the test before wrote').not.toBe('');
      const batches = await dumped(topic);
      expect(batches.length).toBeGreaterThan(1);
      let expectedSequence = 0;
      for (const b of batches) {
        expect(b.isvalid).toBe('true');
        expect(b.magic).toBe('2');
        expect(b.compresscodec?.toLowerCase()).toBe(codec);
        expect(Number(b.producerId)).toBeGreaterThanOrEqual(0);
        expect(Number(b.baseSequence)).toBe(expectedSequence);
        expectedSequence = Number(b.lastSequence) + 1;
      }
      expect(expectedSequence).toBe(n);
      expect(CODEC_ID[codec]).toBeGreaterThanOrEqual(0);
    });
  }

  for (const acks of [0, 1] as const) {
    it(`acks ${acks}: every record lands${acks === 0 ? ' (offsets unknown: -1)' : ' with its offset'}`, async () => {
      const topic = uniqueTopic(`acks-${acks}`);
      await createTopic(env.bootstrap, topic, 2);
      const p = new KafkaProducer({ bootstrapServers: env.bootstrap, acks });
      const n = 1000;
      const results: RecordMetadata[] = [];
      try {
        for (let i = 0; i < n; i++) p.send({ topic, key: `k${i}`, value: `a${acks}-${i}` }, (err, md) => md && results.push(md));
        await p.flush();
      } finally {
        await p.close();
      }
      expect(results).toHaveLength(n);
      if (acks === 0) expect(results.every((m) => m.offset === -1)).toBe(true);
      else expect(new Set(results.map((m) => `${m.partition}:${m.offset}`)).size).toBe(n);
      const messages = await kcatConsumeAtLeast(env.bootstrap, topic, n);
      expect(messages).toHaveLength(n);
    });
  }
});

describe('MESSAGE_TOO_LARGE', () => {
  const n = 300;
  let topic = '';
  it('splits batches until they fit the topic max.message.bytes, keeping order', async () => {
    topic = uniqueTopic('split');
    await createTopic(env.bootstrap, topic, 1, { 'max.message.bytes': '2000' });
    const p = new KafkaProducer({ bootstrapServers: env.bootstrap, batchSize: 16384, lingerMs: 200 });
    const errors: Error[] = [];
    try {
      for (let i = 0; i < n; i++) p.send({ topic, value: `${String(i).padStart(4, '0')} ${'s'.repeat(100)}` }, (err) => err && errors.push(err));
      await p.flush();
      expect(errors).toEqual([]);
      expect(p.metrics().splits).toBeGreaterThan(0);
    } finally {
      await p.close();
    }
    const values = (await kcatConsume(env.bootstrap, topic)).map((m) => Number(m.payload?.slice(0, 4)));
    expect(values).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it.skipIf(!local)('the split batches fit the limit and keep gap-free sequences (DumpLogSegments)', async () => {
    expect(topic, 'the topic the test before wrote').not.toBe('');
    let expectedSequence = 0;
    for (const b of await dumped(topic)) {
      expect(Number(b.size)).toBeLessThanOrEqual(2000);
      expect(Number(b.baseSequence)).toBe(expectedSequence);
      expectedSequence = Number(b.lastSequence) + 1;
    }
    expect(expectedSequence).toBe(n);
  });

  it('a single record over the topic limit fails with MESSAGE_TOO_LARGE, and its neighbours go through', async () => {
    const topic = uniqueTopic('too-large');
    await createTopic(env.bootstrap, topic, 1, { 'max.message.bytes': '2000' });
    const p = new KafkaProducer({ bootstrapServers: env.bootstrap, lingerMs: 0 });
    try {
      const [before, big, after] = await Promise.allSettled([
        p.send({ topic, value: 'before' }),
        p.send({ topic, value: 'B'.repeat(5000) }),
        p.send({ topic, value: 'after' }),
      ]);
      expect(before?.status).toBe('fulfilled');
      expect(after?.status).toBe('fulfilled');
      expect(big?.status === 'rejected' && String(big.reason.message)).toMatch(/MESSAGE_TOO_LARGE.*max\.message\.bytes/);
    } finally {
      await p.close();
    }
  });
});

describe('batches that grow under a backlog', () => {
  for (const keyed of [true, false]) {
    const partitions = 3;
    let topic = '';
    /** Records kcat read back, per partition. */
    let readBack: number[] = [];
    it(`${keyed ? 'keyed' : 'keyless'}: 1 KiB records sent faster than a request returns: kcat reads every record, in send order per partition`, async () => {
      topic = uniqueTopic(`grow-${keyed ? 'keyed' : 'keyless'}`);
      await createTopic(env.bootstrap, topic, partitions);
      // The defaults: batchSize 16384, maxBatchSize 1 MiB.
      const p = new KafkaProducer({ bootstrapServers: env.bootstrap });
      const n = 4000;
      const value = (i: number) => `${String(i).padStart(5, '0')}${'v'.repeat(1019)}`;
      const errors: Error[] = [];
      try {
        await p.partitionsFor(topic);
        for (let i = 0; i < n; i++) p.send({ topic, key: keyed ? `k${i % 30}` : null, value: value(i) }, (err) => err && errors.push(err));
        await p.flush();
      } finally {
        await p.close();
      }
      expect(errors).toEqual([]);
      const messages = await kcatConsume(env.bootstrap, topic);
      expect(messages.map((m) => m.payload).sort()).toEqual(Array.from({ length: n }, (_, i) => value(i)));
      // Order within a partition is send order.
      for (let part = 0; part < partitions; part++) {
        const seq = messages.filter((m) => m.partition === part).map((m) => Number(m.payload?.slice(0, 5)));
        expect(seq).toEqual([...seq].sort((a, b) => a - b));
      }
      readBack = Array.from({ length: partitions }, (_, part) => messages.filter((m) => m.partition === part).length);
    });

    it.skipIf(!local)(`${keyed ? 'keyed' : 'keyless'}: the batches grew past batchSize, up to maxBatchSize; DumpLogSegments sees valid batches with their counts and sequences`, async () => {
      expect(readBack, 'what the test before read back').toHaveLength(partitions);
      const sizes: number[] = [];
      for (let part = 0; part < partitions; part++) {
        let expectedSequence = 0;
        let records = 0;
        for (const b of await dumped(topic, part)) {
          const count = Number(b.count);
          expect(b.isvalid, `${topic}-${part} CRC`).toBe('true');
          expect(Number(b.lastOffset) - Number(b.baseOffset) + 1).toBe(count);
          expect(Number(b.baseSequence)).toBe(expectedSequence);
          expect(Number(b.lastSequence) - Number(b.baseSequence) + 1).toBe(count);
          expectedSequence = Number(b.lastSequence) + 1;
          records += count;
          sizes.push(Number(b.size));
        }
        expect(records).toBe(readBack[part]);
      }
      expect(Math.max(...sizes)).toBeGreaterThan(16_384);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(1_048_576);
    });
  }
});
