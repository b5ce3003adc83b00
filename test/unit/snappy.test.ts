// Snappy in a record batch: blocks from the snap crate (WebAssembly) in the
// Java client's xerial framing, checked against snappyjs as the reference
// (it decodes every block, and is the fallback where WebAssembly cannot load).

import snappy from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { snappyCompress, snappyDecompress } from '../../src/protocol/codecs/snappy.js';
import { loadBlock, snappyWasmBlock } from '../../src/protocol/codecs/wasm-blocks.js';
import { pseudoRandomBytes } from '../support/pseudo-random.js';

const XERIAL_HEADER = '82534e41505059000000000100000001';

function jsonLike(length: number): Buffer {
  let s = '';
  for (let i = 0; s.length < length; i++) s += `{"id":${i * 7919},"user":"u${(i * 31) % 977}","event":"${['click', 'view', 'buy'][i % 3]}","amount":${(i * 13.7) % 1000}}\n`;
  return Buffer.from(s.slice(0, length));
}

/** The raw blocks of a xerial stream. */
function xerialBlocks(out: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  for (let pos = 16; pos < out.length; ) {
    const len = out.readInt32BE(pos);
    blocks.push(out.subarray(pos + 4, pos + 4 + len));
    pos += 4 + len;
  }
  return blocks;
}

const INPUTS: Array<[string, Buffer]> = [
  ['empty', Buffer.alloc(0)],
  ['1 byte', Buffer.from('x')],
  ['json-like 1 KiB', jsonLike(1024)],
  ['json-like 16 KiB', jsonLike(16_384)],
  ['json-like exactly one block', jsonLike(32 * 1024)],
  ['json-like 100 KB (four blocks)', jsonLike(100_000)],
  ['random 70 KB', pseudoRandomBytes(70_000, 3)],
  ['zeros 200 KB', Buffer.alloc(200_000)],
];

describe('snappy blocks', () => {
  it('the snap crate loads as WebAssembly here, so the fallback is not what runs', () => {
    expect(snappyWasmBlock()).not.toBeNull();
  });

  it('a block compressor that cannot load is null, so the JavaScript fallback takes over', () => {
    expect(loadBlock('kafka-producer-ts-no-such-package', () => () => new Uint8Array(0))).toBeNull();
    expect(loadBlock('snappy-wasm', () => { throw new Error('no WebAssembly here'); })).toBeNull();
  });

  for (const [name, input] of INPUTS) {
    it(`${name}: snappyjs decodes each WebAssembly block, and the stream reads back`, () => {
      const out = snappyCompress(input);
      expect(out.subarray(0, 16).toString('hex')).toBe(XERIAL_HEADER);
      const blocks = xerialBlocks(out);
      expect(blocks).toHaveLength(Math.max(1, Math.ceil(input.length / 32_768)));
      const decoded = Buffer.concat(blocks.map((b) => Buffer.from(snappy.uncompress(b))));
      expect(decoded.equals(input)).toBe(true);
      expect(snappyDecompress(out).equals(input)).toBe(true);
    });
  }

  it('compresses as well as snappyjs (within 5%) and reads back through either path', () => {
    const input = jsonLike(200_000);
    const wasm = snappyCompress(input);
    const reference = snappyCompress(input, (b) => snappy.compress(b));
    expect(snappyDecompress(reference).equals(input)).toBe(true);
    expect(Math.abs(wasm.length - reference.length)).toBeLessThanOrEqual(reference.length * 0.05);
    expect(wasm.length).toBeLessThan(input.length / 2);
  });
});
