// CRC-32C check value and Kafka's own murmur2 test vectors (Utils.murmur2).

import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/protocol/crc32c.js';
import { murmur2, partitionForKey } from '../../src/partitioner/murmur2.js';

describe('crc32c', () => {
  it('has the Castagnoli check value for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('covers exactly the given range', () => {
    const buf = Buffer.from('xx123456789yy');
    expect(crc32c(buf, 2, 11)).toBe(0xe3069283);
  });
});

describe('murmur2', () => {
  const vectors: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [key, expected] of vectors) {
    it(`murmur2("${key}") = ${expected}`, () => {
      expect(murmur2(Buffer.from(key))).toBe(expected);
    });
  }

  it('maps to a partition with & 0x7fffffff, not Math.abs', () => {
    // -58897971 & 0x7fffffff = 2088585677; Math.abs would give 58897971.
    expect(partitionForKey(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), 1000)).toBe(2088585677 % 1000);
  });
});
