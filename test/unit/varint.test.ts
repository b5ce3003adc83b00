// The record encoder's varints (src/protocol/varint.ts) against a reference
// written here with bigints: zigzag, then 7 bits a byte, low first. Sizes
// and bytes at every length boundary, negative values, and past 2^52 where
// the encoder switches to its bigint path (the double path loses the low
// bit of 2|v| - 1 there).

import { describe, expect, it } from 'vitest';
import { sizeOfVarint, sizeOfVarlong, writeVarintAt, writeVarlongAt } from '../../src/protocol/varint.js';

function reference(v: number, bits: 32 | 64): number[] {
  const b = BigInt(v);
  let n = BigInt.asUintN(bits, (b << 1n) ^ (b >> BigInt(bits - 1)));
  const out: number[] = [];
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
  return out;
}

/** Values around each length boundary of a zigzag varint (|v| near 2^(7k-1)), both signs. */
function boundaries(maxPower: number): number[] {
  const values = new Set<number>([0, 1, -1]);
  for (let k = 1; 7 * k - 1 <= maxPower; k++) {
    const edge = 2 ** (7 * k - 1);
    for (const v of [edge - 1, edge, edge + 1]) {
      values.add(v);
      values.add(-v);
    }
  }
  return [...values];
}

describe('varint (32-bit zigzag)', () => {
  it.each([...boundaries(30), 2147483647, -2147483648])('%i: size and bytes as the reference', (v) => {
    const buf = new Uint8Array(10);
    const end = writeVarintAt(buf, 1, v);
    expect([...buf.subarray(1, end)]).toEqual(reference(v, 32));
    expect(sizeOfVarint(v)).toBe(end - 1);
  });
});

describe('varlong (64-bit zigzag)', () => {
  const big = [2 ** 52 - 1, 2 ** 52, 2 ** 52 + 1, 2 ** 53 - 3, Number.MAX_SAFE_INTEGER];
  it.each([...boundaries(52), ...big, ...big.map((v) => -v), Number.MIN_SAFE_INTEGER])('%i: size and bytes as the reference', (v) => {
    const buf = new Uint8Array(12);
    const end = writeVarlongAt(buf, 2, v);
    expect([...buf.subarray(2, end)]).toEqual(reference(v, 64));
    expect(sizeOfVarlong(v)).toBe(end - 2);
  });
});
