// Record batch v2 against bytes laid out by hand from docs/protocol.md §3, with
// the CRC computed by an independent bit-by-bit CRC-32C; then round trips
// through every codec.

import { beforeAll, describe, expect, it } from 'vitest';
import { COMPRESSION_TYPES, loadCodecs, compress, decompress, CODEC_ID } from '../../src/protocol/compression.js';
import { randomBytes } from 'node:crypto';
import { FILL_COPY_MIN } from '../../src/protocol/copy-bytes.js';
import {
  buildRecordBatch,
  decodeRecordBatches,
  decodeRecords,
  recordBodySize,
  writeRecord,
  type RecordInput,
} from '../../src/protocol/record-batch.js';

beforeAll(async () => {
  await loadCodecs();
});

describe('record batch v2 bytes', () => {
  it('one record, key "k", value "v", no headers, not idempotent', () => {
    const batch = buildRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1700000000000 }]);
    const expected = [
      '0000000000000000', // baseOffset
      '0000003a', // batchLength = 70 - 12
      'ffffffff', // partitionLeaderEpoch
      '02', // magic
      'e99b8dd8', // crc (bitwise CRC-32C of the bytes after it)
      '0000', // attributes: no codec, CreateTime, not transactional
      '00000000', // lastOffsetDelta
      '0000018bcfe56800', // baseTimestamp 1700000000000
      '0000018bcfe56800', // maxTimestamp
      'ffffffffffffffff', // producerId -1
      'ffff', // producerEpoch -1
      'ffffffff', // baseSequence -1
      '00000001', // records count
      '10', // record length 8 (zigzag 16)
      '00', // attributes
      '00', // timestampDelta 0
      '00', // offsetDelta 0
      '02', // key length 1
      '6b', // "k"
      '02', // value length 1
      '76', // "v"
      '00', // header count 0
    ].join('');
    expect(batch.toString('hex')).toBe(expected);
  });

  it('null key and value are length -1; headers follow; deltas are relative to the first record', () => {
    const batch = buildRecordBatch(
      [
        { key: null, value: null, timestamp: 1000, headers: [{ key: 'h', value: null }] },
        { key: Buffer.alloc(0), value: Buffer.from('x'), timestamp: 1003 },
      ],
      { producerId: 42, producerEpoch: 3, baseSequence: 7 },
    );
    const records = batch.subarray(61).toString('hex');
    // record 0: len 7 | attr 00 | ts 00 | off 00 | key -1 (01) | value -1 (01) | 1 header (02) | "h" (02 68) | null value (01)
    // record 1: len 7 | attr 00 | ts +3 (06) | off 1 (02) | key len 0 (00) | value len 1 (02) "x" (78) | 0 headers (00)
    expect(records).toBe('12' + '00' + '00' + '00' + '01' + '01' + '02' + '0268' + '01' + '0e' + '00' + '06' + '02' + '00' + '0278' + '00');
    const [decoded] = decodeRecordBatches(batch);
    expect(decoded?.producerId).toBe(42);
    expect(decoded?.producerEpoch).toBe(3);
    expect(decoded?.baseSequence).toBe(7);
    expect(decoded?.lastOffsetDelta).toBe(1);
    expect(decoded?.maxTimestamp).toBe(1003);
    expect(decoded?.crcValid).toBe(true);
    expect(decoded?.records[0]?.headers).toEqual([{ key: 'h', value: null }]);
    expect(decoded?.records[1]?.key?.length).toBe(0);
  });

  it('keys and values of every size around the copy threshold land intact in shared memory, at any offset', () => {
    // Batches live in SharedArrayBuffers; large keys and values take another copy path than small ones.
    const shared = Buffer.from(new SharedArrayBuffer(8192));
    for (const size of [0, 1, FILL_COPY_MIN - 1, FILL_COPY_MIN, FILL_COPY_MIN + 1, 512, 1024, 3000]) {
      for (const at of [61, 62, 64, 67]) {
        shared.fill(0xaa);
        const key = new Uint8Array(randomBytes(size % 700)); // a plain Uint8Array, not a Buffer
        const value = randomBytes(size + 1).subarray(1); // unaligned in its own memory
        const body = recordBodySize(0, 0, key.length, value.length, 1);
        const end = writeRecord(shared, at, body, 0, 0, key, key.length, value, value.length, []);
        const [record] = decodeRecords(shared.subarray(at, end), 1, 0, 0);
        expect(Buffer.from(record?.key ?? []).equals(key), `key of ${key.length} bytes at ${at}`).toBe(true);
        expect(record?.value?.equals(value), `value of ${size} bytes at ${at}`).toBe(true);
        expect(shared[at - 1]).toBe(0xaa);
        expect(shared[end]).toBe(0xaa);
      }
    }
  });

  it('a flipped byte makes the CRC invalid', () => {
    const batch = buildRecordBatch([{ key: null, value: Buffer.from('payload'), timestamp: 5 }]);
    const at = batch.length - 2;
    batch.writeUInt8(batch.readUInt8(at) ^ 0xff, at);
    expect(decodeRecordBatches(batch)[0]?.crcValid).toBe(false);
  });
});

describe('codecs', () => {
  const records: RecordInput[] = Array.from({ length: 500 }, (_, i) => ({
    key: i % 3 === 0 ? null : Buffer.from(`key-${i}`),
    value: Buffer.from(JSON.stringify({ i, text: 'ünïcödé '.repeat(i % 7), n: i * 31 })),
    headers: i % 5 === 0 ? [{ key: 'trace', value: Buffer.from(String(i)) }] : [],
    timestamp: 1700000000000 + i,
  }));

  for (const codec of COMPRESSION_TYPES) {
    it(`${codec}: batch round trip keeps every field and sets codec id ${CODEC_ID[codec]}`, () => {
      const batch = buildRecordBatch(records, { compression: codec });
      const [decoded] = decodeRecordBatches(batch);
      expect(decoded?.compression).toBe(CODEC_ID[codec]);
      expect(decoded?.crcValid).toBe(true);
      expect(decoded?.records.length).toBe(records.length);
      decoded?.records.forEach((r, i) => {
        const src = records[i] as RecordInput;
        expect(r.offset).toBe(i);
        expect(r.timestamp).toBe(src.timestamp);
        expect(r.key === null ? null : r.key.toString()).toBe(src.key === null ? null : src.key.toString());
        expect(r.value?.toString()).toBe(src.value?.toString());
        expect(r.headers.map((h) => [h.key, h.value?.toString()])).toEqual((src.headers ?? []).map((h) => [h.key, h.value?.toString()]));
      });
      if (codec !== 'none') expect(batch.length).toBeLessThan(buildRecordBatch(records).length);
    });
  }

  it('snappy uses the xerial framing the Java client writes', () => {
    const out = compress('snappy', Buffer.alloc(100_000, 'a'));
    expect(out.subarray(0, 16).toString('hex')).toBe('82534e41505059000000000100000001');
    expect(decompress(2, out).equals(Buffer.alloc(100_000, 'a'))).toBe(true);
  });

  it('lz4 frames start as the Java client writes them', () => {
    expect(compress('lz4', Buffer.from('hello hello hello')).subarray(0, 7).toString('hex')).toBe('04224d18604082');
  });

  it('gzip is a plain RFC 1952 stream', () => {
    expect(compress('gzip', Buffer.from('x')).subarray(0, 2).toString('hex')).toBe('1f8b');
  });

  it('zstd is a standard frame', () => {
    expect(compress('zstd', Buffer.from('x')).subarray(0, 4).toString('hex')).toBe('28b52ffd');
  });
});
