// Produce requests made of our own record batches, for every codec and every
// acks setting, read back by tools we did not write: kcat -J (librdkafka)
// field by field, and Kafka's DumpLogSegments over the partition's log files
// (valid CRC, magic 2, the codec we set).

import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { Cluster } from '../../src/network/cluster.js';
import type { Connection } from '../../src/network/connection.js';
import { InitProducerId } from '../../src/protocol/apis/init-producer-id.js';
import { Produce, type ProducePartitionResponse } from '../../src/protocol/apis/produce.js';
import { KafkaResponseError } from '../../src/protocol/errors.js';
import { COMPRESSION_TYPES, loadCodecs, type CompressionType } from '../../src/protocol/compression.js';
import { buildRecordBatch, type RecordInput } from '../../src/protocol/record-batch.js';
import {
  createTopic,
  dumpLogSegments,
  kcatConsume,
  kcatConsumeAtLeast,
  partitionLogFiles,
  uniqueTopic,
  type KcatMessage,
} from '../support/kafka-tools.js';

const env = inject('kafka');
const localFiles = env.logDirs.length > 0;
const ACKS = [0, 1, -1] as const;
const PARTITIONS = 2;

/** The records every combination sends: keys, null keys, null and empty values, headers, non-ASCII text. */
function variedRecords(tag: string, base: number): RecordInput[] {
  return [
    { key: Buffer.from(`key-${tag}`), value: Buffer.from(`value-${tag}`), timestamp: base },
    { key: null, value: Buffer.from('no key'), timestamp: base + 1 },
    { key: Buffer.from('tombstone'), value: null, timestamp: base + 2 },
    { key: Buffer.from('empty'), value: Buffer.alloc(0), timestamp: base + 3 },
    {
      key: Buffer.from('with-headers'),
      value: Buffer.from('h'),
      headers: [
        { key: 'trace-id', value: Buffer.from('abc-123') },
        { key: 'empty', value: Buffer.alloc(0) },
        { key: 'ключ', value: Buffer.from('значение') },
      ],
      timestamp: base + 4,
    },
    { key: Buffer.from('日本語キー'), value: Buffer.from('Grüße, 世界! 👋 ünïcødé'), timestamp: base + 5 },
    // An earlier timestamp than the base: negative timestampDelta.
    { key: Buffer.from('earlier'), value: Buffer.from('before base'), timestamp: base - 1000 },
    ...Array.from({ length: 20 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`repeated payload ${i} `.repeat(20)), timestamp: base + 6 + i })),
  ];
}

function expectSameRecords(messages: KcatMessage[], partition: number, records: RecordInput[]): void {
  const got = messages.filter((m) => m.partition === partition);
  expect(got).toHaveLength(records.length);
  got.forEach((m, i) => {
    const r = records[i] as RecordInput;
    expect(m.offset).toBe(i);
    expect(m.tstype).toBe('create');
    expect(m.ts).toBe(r.timestamp);
    expect(m.key).toBe(text(r.key));
    expect(m.payload).toBe(text(r.value));
    const headers = (r.headers ?? []).flatMap((h) => [h.key, text(h.value)]);
    expect(m.headers ?? []).toEqual(headers);
  });
}

function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : Buffer.from(bytes).toString('utf8');
}

/** Errors a freshly created partition answers while its leader is still taking over. */
const LEADERSHIP_SETTLING = new Set([3, 5, 6]);

/**
 * One Produce request; partitions that answer a leadership error are sent
 * again (only those, so nothing is written twice), as a producer would.
 */
async function produce(
  conn: Connection,
  topic: string,
  batches: Map<number, Buffer>,
  acks: number,
  opts: { version?: number; transactionalId?: string | null } = {},
): Promise<Map<number, ProducePartitionResponse> | null> {
  const body = {
    transactionalId: opts.transactionalId ?? null,
    acks,
    timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: [...batches].map(([index, records]) => ({ index, records })) }],
  };
  // v13 names topics by id instead of name; its own test below covers it.
  const version = opts.version ?? Math.min(conn.versionFor(Produce), 12);
  if (acks === 0) {
    await new Promise<void>((resolve, reject) => conn.sendWithoutResponse(Produce, body, (err) => (err ? reject(err) : resolve()), version));
    return null;
  }
  const answers = new Map<number, ProducePartitionResponse>();
  let pending = new Map(batches);
  for (let attempt = 0; pending.size > 0; attempt++) {
    const res = await conn.request(Produce, { ...body, topicData: [{ name: topic, partitionData: [...pending].map(([index, records]) => ({ index, records })) }] }, { version });
    const retry = new Map<number, Buffer>();
    for (const p of res.responses[0]?.partitionResponses ?? []) {
      if (LEADERSHIP_SETTLING.has(p.errorCode) && attempt < 50) retry.set(p.index, pending.get(p.index) as Buffer);
      else answers.set(p.index, p);
    }
    pending = retry;
    if (retry.size > 0) await new Promise((r) => setTimeout(r, 100));
  }
  return answers;
}

/** InitProducerId, retried while the broker is still loading (COORDINATOR_LOAD_IN_PROGRESS and the like). */
async function initProducerId(conn: Connection): Promise<{ producerId: number; producerEpoch: number }> {
  for (let attempt = 0; ; attempt++) {
    const res = await conn.request(InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000 });
    if (res.errorCode === 0) return res;
    if (![14, 15, 16, 51].includes(res.errorCode) || attempt > 100) throw new KafkaResponseError(res.errorCode, 'InitProducerId');
    await new Promise((r) => setTimeout(r, 100));
  }
}

let cluster: Cluster;
let conn: Connection;
let maxProduceVersion: number;
/** Every topic written, for one DumpLogSegments run over all of them at the end. */
const written: { topic: string; codec: CompressionType; partitions: number; producerId?: number }[] = [];

beforeAll(async () => {
  await loadCodecs();
  cluster = new Cluster({ bootstrapServers: env.bootstrap, clientId: 'produce-test' });
  conn = await cluster.anyConnection();
  maxProduceVersion = conn.versionFor(Produce);
});

// A broker closes the connection after an acks=0 request it could not
// apply: take the cluster's live connection for every test.
beforeEach(async () => {
  conn = await cluster.anyConnection();
});

afterAll(async () => {
  await cluster.close();
});

describe('every codec x acks reads back identically through kcat', () => {
  for (const codec of COMPRESSION_TYPES) {
    for (const acks of ACKS) {
      it(`codec ${codec}, acks ${acks === -1 ? 'all' : acks}`, async () => {
        const topic = uniqueTopic(`p-${codec}-a${acks === -1 ? 'all' : acks}`);
        await createTopic(env.bootstrap, topic, PARTITIONS);
        const base = Date.now() - 60_000;
        const sent = new Map<number, RecordInput[]>();
        const batches = new Map<number, Buffer>();
        for (let p = 0; p < PARTITIONS; p++) {
          const records = variedRecords(`${codec}-${acks}-${p}`, base + p * 100);
          sent.set(p, records);
          batches.set(p, buildRecordBatch(records, { compression: codec }));
        }
        const res = await produce(conn, topic, batches, acks);
        if (acks !== 0) {
          const parts = [...(res?.values() ?? [])];
          expect(parts.map((p) => [p.index, p.errorCode, p.baseOffset]).sort()).toEqual([
            [0, 0, 0],
            [1, 0, 0],
          ]);
        } else {
          expect(res).toBeNull();
        }
        const total = [...sent.values()].reduce((n, r) => n + r.length, 0);
        const messages = acks === 0 ? await kcatConsumeAtLeast(env.bootstrap, topic, total) : await kcatConsume(env.bootstrap, topic);
        for (const [p, records] of sent) expectSameRecords(messages, p, records);
        written.push({ topic, codec, partitions: PARTITIONS });
      });
    }
  }
});

describe('edge cases', () => {
  it('a 1 MB value, compressed and not', async () => {
    const topic = uniqueTopic('big');
    await createTopic(env.bootstrap, topic, 2);
    const value = Buffer.alloc(1_000_000);
    for (let i = 0; i < value.length; i++) value[i] = 0x61 + ((i * 7) % 26);
    const batches = new Map([
      [0, buildRecordBatch([{ key: Buffer.from('big'), value, timestamp: Date.now() }])],
      [1, buildRecordBatch([{ key: Buffer.from('big-zstd'), value, timestamp: Date.now() }], { compression: 'zstd' })],
    ]);
    const res = await produce(conn, topic, batches, -1);
    expect([...(res?.values() ?? [])].map((p) => p.errorCode)).toEqual([0, 0]);
    const messages = await kcatConsume(env.bootstrap, topic);
    expect(messages).toHaveLength(2);
    for (const m of messages) expect(m.payload).toBe(value.toString('latin1'));
    written.push({ topic, codec: 'none', partitions: 1 });
  });

  it('many partitions in one request', async () => {
    const topic = uniqueTopic('many');
    const partitions = 24;
    await createTopic(env.bootstrap, topic, partitions);
    const batches = new Map<number, Buffer>();
    for (let p = 0; p < partitions; p++) {
      batches.set(p, buildRecordBatch([{ key: Buffer.from(`p${p}`), value: Buffer.from(`to partition ${p}`), timestamp: 1_700_000_000_000 + p }], { compression: p % 2 ? 'lz4' : 'none' }));
    }
    const res = await produce(conn, topic, batches, 1);
    const parts = [...(res?.values() ?? [])];
    expect(parts).toHaveLength(partitions);
    expect(parts.every((p) => p.errorCode === 0 && p.baseOffset === 0)).toBe(true);
    const messages = await kcatConsume(env.bootstrap, topic);
    expect(messages.map((m) => [m.partition, m.key, m.payload, m.ts])).toEqual(
      Array.from({ length: partitions }, (_, p) => [p, `p${p}`, `to partition ${p}`, 1_700_000_000_000 + p]),
    );
  });

  it('Produce v13 names the topic by id (Kafka 4.1+)', async (ctx) => {
    if (maxProduceVersion < 13) ctx.skip(`broker ${env.version} speaks Produce up to v${maxProduceVersion}`);
    const topic = uniqueTopic('v13');
    await createTopic(env.bootstrap, topic, 1);
    const md = await cluster.refreshMetadata([topic], false);
    const topicId = md.topic(topic)?.topicId as Buffer;
    const res = await conn.request(
      Produce,
      {
        transactionalId: null,
        acks: -1,
        timeoutMs: 30_000,
        topicData: [{ topicId, partitionData: [{ index: 0, records: buildRecordBatch([{ key: null, value: Buffer.from('by id'), timestamp: 1 }]) }] }],
      },
      { version: 13 },
    );
    expect(res.responses[0]?.topicId?.equals(topicId)).toBe(true);
    expect(res.responses[0]?.partitionResponses[0]?.errorCode).toBe(0);
    expect((await kcatConsume(env.bootstrap, topic)).map((m) => m.payload)).toEqual(['by id']);
  });

  it('a corrupted batch is refused with CORRUPT_MESSAGE, not written', async () => {
    const topic = uniqueTopic('corrupt');
    await createTopic(env.bootstrap, topic, 1);
    const batch = buildRecordBatch([{ key: null, value: Buffer.from('will be corrupted'), timestamp: 1 }]);
    batch.writeUInt8(batch.readUInt8(batch.length - 3) ^ 0xff, batch.length - 3);
    const res = await produce(conn, topic, new Map([[0, batch]]), -1);
    expect(res?.get(0)?.errorCode).toBe(2);
    expect(await kcatConsume(env.bootstrap, topic)).toHaveLength(0);
  });

  it('idempotent batches: the broker keeps our producer id and sequences, and drops a duplicate', async () => {
    const topic = uniqueTopic('idem');
    await createTopic(env.bootstrap, topic, 1);
    const init = await initProducerId(conn);
    expect(init.producerId).toBeGreaterThanOrEqual(0);
    const opts = { producerId: init.producerId, producerEpoch: init.producerEpoch, compression: 'snappy' as const };
    const first = buildRecordBatch(variedRecords('idem-1', 1_700_000_000_000), { ...opts, baseSequence: 0 });
    const second = buildRecordBatch(variedRecords('idem-2', 1_700_000_000_000), { ...opts, baseSequence: 27 });
    const r1 = await produce(conn, topic, new Map([[0, first]]), -1);
    const r2 = await produce(conn, topic, new Map([[0, second]]), -1);
    const dup = await produce(conn, topic, new Map([[0, first]]), -1);
    expect(r1?.get(0)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(r2?.get(0)).toMatchObject({ errorCode: 0, baseOffset: 27 });
    // A retry of an already written batch is answered with its original offset.
    expect(dup?.get(0)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await kcatConsume(env.bootstrap, topic)).toHaveLength(54);
    written.push({ topic, codec: 'snappy', partitions: 1, producerId: init.producerId });
  });
});

describe('DumpLogSegments over every partition written above', () => {
  it.skipIf(!localFiles)('reports every batch with a valid CRC, magic 2 and the codec we set', async () => {
    expect(written.length).toBeGreaterThanOrEqual(COMPRESSION_TYPES.length * ACKS.length);
    const files = written.flatMap((w) => Array.from({ length: w.partitions }, (_, p) => partitionLogFiles(env, w.topic, p)).flat());
    const dumped = await dumpLogSegments(env, files);
    let batches = 0;
    for (const w of written) {
      for (let p = 0; p < w.partitions; p++) {
        const file = partitionLogFiles(env, w.topic, p)[0] as string;
        const lines = dumped.get(file) ?? [];
        expect(lines.length, `${file} has batches`).toBeGreaterThan(0);
        for (const b of lines) {
          batches++;
          expect(b.isvalid, `${w.topic}-${p} CRC`).toBe('true');
          expect(b.magic).toBe('2');
          expect(b.compresscodec?.toLowerCase()).toBe(w.codec);
          if (w.producerId !== undefined) {
            expect(b.producerId).toBe(String(w.producerId));
            expect(['0', '27']).toContain(b.baseSequence);
          } else {
            expect(b.producerId).toBe('-1');
          }
        }
      }
    }
    expect(batches).toBeGreaterThanOrEqual(written.length);
  });
});
