// Writer/Reader primitives: varint and varlong edge cases, int64 extremes,
// compact and nullable forms, all checked against hand-computed bytes.

import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/protocol/errors.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { FILL_COPY_MIN } from '../../src/protocol/copy-bytes.js';

const hex = (b: Buffer) => b.toString('hex');

describe('varint (zigzag, 32-bit)', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-64, '7f'],
    [63, '7e'],
    [64, '8001'],
    [-65, '8101'],
    [300, 'd804'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ];
  for (const [value, bytes] of cases) {
    it(`${value} <-> ${bytes}`, () => {
      const buf = new Writer().varint(value).toBuffer();
      expect(hex(buf)).toBe(bytes);
      expect(new Reader(buf).varint()).toBe(value);
    });
  }

  it('rejects a varint longer than 32 bits', () => {
    expect(() => new Reader(Buffer.from('ffffffff7f', 'hex')).uvarint()).toThrow(ProtocolError);
  });

  it('rejects a truncated varint', () => {
    expect(() => new Reader(Buffer.from('80', 'hex')).varint()).toThrow(/truncated varint/);
  });
});

describe('varlong (zigzag, 64-bit)', () => {
  const cases: [bigint, string][] = [
    [0n, '00'],
    [-1n, '01'],
    [1n, '02'],
    [9007199254740991n, 'feffffffffffff1f'],
    [-9007199254740991n, 'fdffffffffffff1f'],
    [9223372036854775807n, 'feffffffffffffffff01'],
    [-9223372036854775808n, 'ffffffffffffffffff01'],
  ];
  for (const [value, bytes] of cases) {
    it(`${value} <-> ${bytes}`, () => {
      const buf = new Writer().varlong(value).toBuffer();
      expect(hex(buf)).toBe(bytes);
      expect(new Reader(buf).varlongBig()).toBe(value);
    });
  }

  it('numbers and bigints encode alike within the safe range', () => {
    for (const v of [0, 1, -1, 1700000000000, -1700000000000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      const a = new Writer().varlong(v).toBuffer();
      expect(hex(a)).toBe(hex(new Writer().varlong(BigInt(v)).toBuffer()));
      expect(new Reader(a).varlong()).toBe(v);
    }
  });

  it('reading beyond 2^53 as a number is an error, not a rounded value', () => {
    const buf = new Writer().varlong(9223372036854775807n).toBuffer();
    expect(() => new Reader(buf).varlong()).toThrow(/exceeds 2\^53/);
  });
});

describe('int64', () => {
  it('writes the extremes as bigints and negative safe numbers exactly', () => {
    const w = new Writer().int64(-9223372036854775808n).int64(9223372036854775807n).int64(-1).int64(1700000000123);
    const buf = w.toBuffer();
    expect(hex(buf.subarray(0, 16))).toBe('80000000000000007fffffffffffffff');
    expect(hex(buf.subarray(16, 24))).toBe('ffffffffffffffff');
    const r = new Reader(buf);
    expect(r.int64Big()).toBe(-9223372036854775808n);
    expect(r.int64Big()).toBe(9223372036854775807n);
    expect(r.int64()).toBe(-1);
    expect(r.int64()).toBe(1700000000123);
  });

  it('refuses an unsafe number', () => {
    expect(() => new Writer().int64(2 ** 60)).toThrow(ProtocolError);
  });
});

describe('strings and bytes', () => {
  it('compact nulls are a single zero byte, compact empties a single one', () => {
    const buf = new Writer().compactNullableString(null).compactString('').compactNullableBytes(null).compactBytes(Buffer.alloc(0)).toBuffer();
    expect(hex(buf)).toBe('00010001');
    const r = new Reader(buf);
    expect(r.compactNullableString()).toBeNull();
    expect(r.compactString()).toBe('');
    expect(r.compactNullableBytes()).toBeNull();
    expect(r.compactBytes().length).toBe(0);
  });

  it('classic nullable forms use -1 lengths', () => {
    const buf = new Writer().nullableString(null).nullableBytes(null).string('hé').toBuffer();
    expect(hex(buf)).toBe('ffff' + 'ffffffff' + '0003' + '68c3a9');
    const r = new Reader(buf);
    expect(r.nullableString()).toBeNull();
    expect(r.nullableBytes()).toBeNull();
    expect(r.string()).toBe('hé');
  });

  it('a null where a string is required is a ProtocolError', () => {
    expect(() => new Reader(Buffer.from('00', 'hex')).compactString()).toThrow(/non-nullable/);
  });

  it('keeps large blobs by reference and still yields the right bytes', () => {
    const blob = Buffer.alloc(10_000, 7);
    const w = new Writer().int32(1).bytes(blob).int8(9);
    const chunks = w.chunks();
    expect(chunks.some((c) => c.buffer === blob.buffer)).toBe(true);
    const all = w.toBuffer();
    expect(all.length).toBe(4 + 4 + 10_000 + 1);
    const r = new Reader(all);
    expect(r.int32()).toBe(1);
    expect(r.bytes().equals(blob)).toBe(true);
    expect(r.int8()).toBe(9);
  });

  it('copies mid-sized blobs from shared memory intact, at any offset', () => {
    // Below the by-reference size blobs are copied; from FILL_COPY_MIN bytes on by another path than short ones.
    const shared = Buffer.from(new SharedArrayBuffer(5000));
    shared.forEach((_, i) => (shared[i] = (i * 31) & 0xff));
    for (const [from, size] of [[3, 100], [5, FILL_COPY_MIN - 1], [85, FILL_COPY_MIN], [7, 511], [1, 4000]] as const) {
      const blob = shared.subarray(from, from + size);
      const r = new Reader(new Writer(16).int8(1).compactBytes(blob).int8(2).toBuffer());
      expect(r.int8()).toBe(1);
      expect(r.compactBytes().equals(blob), `${size} bytes from offset ${from}`).toBe(true);
      expect(r.int8()).toBe(2);
    }
  });

  it('a truncated read names the offset', () => {
    expect(() => new Reader(Buffer.from('0005616263', 'hex')).string()).toThrow(/needs 5 bytes at offset 2, 3 left/);
  });
});
