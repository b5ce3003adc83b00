// CRC-32C: the check value, crc-32's implementation as the reference on
// random inputs, and the module's bytes against its source. Kafka's own
// murmur2 test vectors (Utils.murmur2).

import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import CRC32C from 'crc-32/crc32c.js';
import { describe, expect, it } from 'vitest';
import { assemble, moduleSource } from '../../scripts/build-wasm.js';
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

  const reference = (b: Uint8Array): number => CRC32C.buf(b) >>> 0;
  // Around the module's switch to its reduction (330), its 16-byte steps, and
  // its 64 KiB chunks; the sizes batches have.
  const lengths = [0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 329, 330, 331, 345, 346, 347, 1000, 4096, 16384, 16385, 65535, 65536, 65537, 131083, 1 << 20];

  it('equals crc-32 on random inputs of many lengths, at every alignment', () => {
    const pool = randomBytes((1 << 20) + 64);
    for (const length of lengths) {
      for (const offset of [0, 1, 2, 3, 5, 8, 13]) {
        const input = pool.subarray(offset, offset + length);
        expect(crc32c(input), `length ${length}, offset ${offset}`).toBe(reference(input));
      }
    }
  });

  it('equals crc-32 on ranges of a buffer and on views into a larger ArrayBuffer', () => {
    const buf = randomBytes(200_000);
    for (let i = 0; i < 200; i++) {
      const start = randomInt(0, buf.length);
      const end = randomInt(start, Math.min(buf.length, start + (i % 2 === 0 ? 2000 : 140_000)) + 1);
      expect(crc32c(buf, start, end), `[${start}, ${end})`).toBe(reference(buf.subarray(start, end)));
      const view = new Uint8Array(buf.buffer, buf.byteOffset + start, end - start);
      expect(crc32c(view)).toBe(reference(view));
    }
  });

  it('equals crc-32 on ranges of shared memory, where batches live', () => {
    const shared = Buffer.from(new SharedArrayBuffer(100_000));
    shared.set(randomBytes(shared.length));
    for (const [start, end] of [[21, 16_405], [85, 400], [85, 597], [3, 514], [7, 100_000], [64, 65_600]] as const) {
      expect(crc32c(shared, start, end), `[${start}, ${end})`).toBe(reference(Buffer.from(shared.subarray(start, end))));
    }
  });

  it('is the same for inputs of zeros and of 0xff as for crc-32', () => {
    for (const length of [330, 5000, 70_000]) {
      expect(crc32c(Buffer.alloc(length))).toBe(reference(Buffer.alloc(length)));
      expect(crc32c(Buffer.alloc(length, 0xff))).toBe(reference(Buffer.alloc(length, 0xff)));
    }
  });

  it('rests on a multiple of the CRC-32C polynomial: x^2128 + x^1144 + x^968 + x^704 + x^568 + 1', () => {
    // x^n mod P in the plain (not reflected) bit order, P = x^32 + 0x1EDC6F41.
    const power = (n: number): number => {
      let r = 1;
      for (let i = 0; i < n; i++) r = r & 0x80000000 ? ((r << 1) ^ 0x1edc6f41) >>> 0 : (r << 1) >>> 0;
      return r;
    };
    const remainder = [2128, 1144, 968, 704, 568, 0].reduce((acc, n) => (acc ^ power(n)) >>> 0, 0);
    expect(remainder).toBe(0);
    expect(power(2128)).not.toBe(0);
  });

  it('loads the bytes that src/protocol/crc32c.wat assembles to (npm run build:wasm)', async () => {
    const wat = readFileSync(new URL('../../src/protocol/crc32c.wat', import.meta.url), 'utf8');
    const generated = readFileSync(new URL('../../src/protocol/crc32c-wasm.ts', import.meta.url), 'utf8');
    expect(generated).toBe(moduleSource(await assemble(wat)));
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
