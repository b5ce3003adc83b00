// The wire judge (test/support/wire-judge.ts), the fake cluster's reader of
// Produce requests, on bytes none of our code wrote: a Produce v7 request as
// kcat (librdkafka) sent it to the Kafka 4.3.1 broker, and the batch as that
// broker stored it, read by Kafka's DumpLogSegments. Then our encoder's
// requests at every version, and hostile changes to the golden bytes.
//
// Recorded on 2026-12-08 with
//   strace -f -e trace=sendmsg -xx -s 200000 kcat -P -b 127.0.0.1:9092 -t wire-judge-golden-1796692191 -p 0 -K: \
//     -H trace=golden -H empty= -X enable.idempotence=true -X linger.ms=200 -X client.id=golden -l in.txt
// (in.txt: "k1:first value", "k2:second", "k3:a third, longer value with some bytes"), the sendmsg whose frame
// has api key 0; and xxd -p of the partition's 00000000000000000000.log. DumpLogSegments --deep-iteration said:
//   baseOffset: 0 lastOffset: 2 count: 3 baseSequence: 0 lastSequence: 2 producerId: 49 producerEpoch: 0
//   partitionLeaderEpoch: 0 isTransactional: false CreateTime: 1796692246950 size: 203 magic: 2
//   compresscodec: none crc: 630389128 isvalid: true
//   | offset: 0 ... headerKeys: [trace,empty] key: k1 payload: first value   (and k2 second, k3 a third, ...)

import { describe, expect, it } from 'vitest';
import { encodeRequest } from '../../src/protocol/api.js';
import { Produce, type ProduceRequest } from '../../src/protocol/apis/produce.js';
import { buildRecordBatch } from '../../src/protocol/record-batch.js';
import { judgeProduceRequest, judgeRecordBatches, WireComplaint } from '../support/wire-judge.js';

const KCAT_PRODUCE_V7 = Buffer.from(
  '0000011100000007000000040006676f6c64656effffffff0000753000000001001c776972652d6a756467652d676f6c' +
  '64656e2d313739363639323139310000000100000000000000cb0000000000000000000000bf00000000022592f98800' +
  '0000000002000001a2533401a6000001a2533401a60000000000000031000000000000000000034e000000046b311666' +
  '697273742076616c7565040a74726163650c676f6c64656e0a656d7074790044000002046b320c7365636f6e64040a74' +
  '726163650c676f6c64656e0a656d707479008201000004046b334a612074686972642c206c6f6e6765722076616c7565' +
  '207769746820736f6d65206279746573040a74726163650c676f6c64656e0a656d70747900',
  'hex',
);

const KCAT_SEGMENT = Buffer.from(
  '0000000000000000000000bf00000000022592f988000000000002000001a2533401a6000001a2533401a60000000000' +
  '000031000000000000000000034e000000046b311666697273742076616c7565040a74726163650c676f6c64656e0a65' +
  '6d7074790044000002046b320c7365636f6e64040a74726163650c676f6c64656e0a656d707479008201000004046b33' +
  '4a612074686972642c206c6f6e6765722076616c7565207769746820736f6d65206279746573040a74726163650c676f' +
  '6c64656e0a656d70747900',
  'hex',
);

const TOPIC = 'wire-judge-golden-1796692191';
const CREATE_TIME = 1796692246950;
const VALUES = ['first value', 'second', 'a third, longer value with some bytes'];

/** The records as DumpLogSegments printed them. */
function expectGoldenRecords(records: ReturnType<typeof judgeRecordBatches>[number]['records']): void {
  expect(records.map((r) => [r.offsetDelta, r.key?.toString(), r.value?.toString()])).toEqual(VALUES.map((v, i) => [i, `k${i + 1}`, v]));
  for (const r of records) {
    expect(r.timestampDelta).toBe(0);
    expect(r.headers.map((h) => [h.key, h.value?.toString()])).toEqual([
      ['trace', 'golden'],
      ['empty', ''],
    ]);
  }
}

describe('the wire judge on bytes kcat and the broker wrote', () => {
  it("reads kcat's Produce v7 request: header, acks, timeout, topic, partition and its batch", () => {
    const req = judgeProduceRequest(KCAT_PRODUCE_V7);
    expect(req).toMatchObject({ apiVersion: 7, correlationId: 4, clientId: 'golden', transactionalId: null, acks: -1, timeoutMs: 30_000 });
    expect(req.topics.map((t) => t.name)).toEqual([TOPIC]);
    const [p] = req.topics[0]?.partitions ?? [];
    expect(p?.index).toBe(0);
    const batches = p?.batches;
    if (!Array.isArray(batches)) throw batches ?? new Error('no partition');
    expect(batches).toHaveLength(1);
    const [b] = batches;
    expect(b).toMatchObject({ producerId: 49, producerEpoch: 0, baseSequence: 0, compression: 0, transactional: false, baseTimestamp: CREATE_TIME, maxTimestamp: CREATE_TIME, crc: 630389128 });
    expectGoldenRecords(b?.records ?? []);
  });

  it('reads the batch as the broker stored it (its offsets assigned), as DumpLogSegments did', () => {
    const [b, ...rest] = judgeRecordBatches(KCAT_SEGMENT, { fromProducer: false });
    expect(rest).toEqual([]);
    expect(KCAT_SEGMENT.length).toBe(203);
    expect(b).toMatchObject({ producerId: 49, producerEpoch: 0, baseSequence: 0, partitionLeaderEpoch: 0, crc: 630389128 });
    expectGoldenRecords(b?.records ?? []);
  });

  it.each([
    ['a CRC byte', 17, /CRC-32C/],
    ['a value byte (under the CRC)', 120, /CRC-32C/],
    ['the batch length', 11, /length/],
    ['the magic byte', 16, /magic/],
  ])('refuses the stored batch with %s changed', (_what, at, complaint) => {
    const bad = Buffer.from(KCAT_SEGMENT);
    bad[at] = ((bad[at] as number) + 1) & 0xff;
    expect(() => judgeRecordBatches(bad, { fromProducer: false })).toThrow(complaint);
  });

  it("refuses a batch whose CRC was computed two bytes late (over bytes 23.., not 21..)", () => {
    const bad = Buffer.from(KCAT_SEGMENT);
    bad.writeUInt32BE(crc32cOf(bad.subarray(23)), 17);
    expect(() => judgeRecordBatches(bad, { fromProducer: false })).toThrow(WireComplaint);
  });

  it('refuses the request when its size prefix, or a count inside it, is wrong', () => {
    const short = Buffer.from(KCAT_PRODUCE_V7);
    short.writeInt32BE(short.length, 0);
    expect(() => judgeProduceRequest(short)).toThrow(/size prefix/);
    const twoTopics = Buffer.from(KCAT_PRODUCE_V7);
    // The topic array count sits after header (4+2+2+4+2+6), transactional id (2), acks (2) and timeout (4).
    twoTopics.writeInt32BE(2, 28);
    expect(() => judgeProduceRequest(twoTopics)).toThrow(WireComplaint);
  });

  it('a batch it cannot read is a complaint about that partition; a stored batch offered as a producer\'s is refused', () => {
    const req = Buffer.from(KCAT_PRODUCE_V7);
    req[req.length - 1] = 0x02;
    const p = judgeProduceRequest(req).topics[0]?.partitions[0];
    expect(p?.batches).toBeInstanceOf(WireComplaint);
    const moved = Buffer.from(KCAT_SEGMENT);
    moved.writeBigInt64BE(5n, 0);
    expect(() => judgeRecordBatches(moved)).toThrow(/base offset 5, not 0/);
  });
});

describe('the wire judge on our encoder', () => {
  const batch = (producerId: number) =>
    buildRecordBatch(
      VALUES.map((v, i) => ({
        key: i === 1 ? null : Buffer.from(`k${i}`),
        value: i === 2 ? null : Buffer.from(v),
        timestamp: 1000 + i,
        headers: [{ key: 'h', value: i === 0 ? null : Buffer.from('x') }],
      })),
      producerId < 0 ? {} : { producerId, producerEpoch: 3, baseSequence: 7 },
    );

  it.each(Array.from({ length: 10 }, (_, i) => i + 3))('reads Produce v%i as the request we built says', (version) => {
    const body: ProduceRequest = {
      transactionalId: version % 2 ? 'tx' : null,
      acks: -1,
      timeoutMs: 1234,
      topicData: [
        { name: 'a', partitionData: [{ index: 0, records: batch(9) }, { index: 3, records: null }] },
        { name: 'b', partitionData: [{ index: 1, records: batch(-1) }] },
      ],
    };
    const req = judgeProduceRequest(Buffer.concat(encodeRequest(Produce, version, 77, 'me', body)));
    expect(req).toMatchObject({ apiVersion: version, correlationId: 77, clientId: 'me', transactionalId: body.transactionalId, acks: -1, timeoutMs: 1234 });
    expect(req.topics.map((t) => [t.name, t.partitions.map((p) => p.index)])).toEqual([
      ['a', [0, 3]],
      ['b', [1]],
    ]);
    const [a0, a3] = req.topics[0]?.partitions ?? [];
    expect(a3?.records).toBeNull();
    const [b] = a0?.batches as ReturnType<typeof judgeRecordBatches>;
    expect(b).toMatchObject({ producerId: 9, producerEpoch: 3, baseSequence: 7, baseTimestamp: 1000, maxTimestamp: 1002 });
    expect(b?.records.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null, r.timestampDelta, r.headers.map((h) => h.value?.toString() ?? null)])).toEqual([
      ['k0', 'first value', 0, [null]],
      [null, 'second', 1, ['x']],
      ['k2', null, 2, ['x']],
    ]);
    const [unnumbered] = req.topics[1]?.partitions[0]?.batches as ReturnType<typeof judgeRecordBatches>;
    expect(unnumbered).toMatchObject({ producerId: -1, producerEpoch: -1, baseSequence: -1 });
  });
});

/** CRC-32C computed here bit by bit (the polynomial 0x82F63B78, reflected): a third implementation, for the two-bytes-late check. */
function crc32cOf(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
