// zstd: node:zlib's where the runtime has it (Node 22.15+), the WebAssembly
// build elsewhere; each reads the other's frames, at the same level 3.

import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { contextCompressor, nodeZstd, wasmZstd, zstdSource } from '../../src/protocol/codecs/zstd.js';
import { pseudoRandomBytes } from '../support/pseudo-random.js';

const ZSTD_MAGIC = '28b52ffd';

function jsonLike(length: number): Buffer {
  let s = '';
  for (let i = 0; s.length < length; i++) s += `{"id":${i * 7919},"user":"u${(i * 31) % 977}","event":"${['click', 'view', 'buy'][i % 3]}"}\n`;
  return Buffer.from(s.slice(0, length));
}

const INPUTS = [Buffer.alloc(0), Buffer.from('x'), jsonLike(16_384), jsonLike(300_000), pseudoRandomBytes(50_000, 9)];
const HAS_NODE_ZSTD = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';

describe('zstd', () => {
  it('comes from node:zlib exactly where the runtime has it', () => {
    expect(zstdSource()).toBe(HAS_NODE_ZSTD ? 'node:zlib' : 'WebAssembly');
  });

  it('a runtime without zstd in node:zlib gets no node codec (the WebAssembly build is used)', () => {
    expect(nodeZstd({})).toBeNull();
    expect(nodeZstd({ zstdCompressSync: () => Buffer.alloc(0) })).toBeNull();
  });

  it('the WebAssembly build keeps one context, and writes the very bytes of the package\'s compress() with it, frame after frame', async () => {
    const wasm = await import('@bokuweb/zstd-wasm');
    await wasm.init();
    const reused = contextCompressor();
    expect(reused).not.toBeNull();
    // Growing sizes move the buffers; a shrinking one after a large one must not see stale state.
    for (const input of [...INPUTS, jsonLike(1_000_000), jsonLike(10), ...INPUTS]) {
      expect(Buffer.from(reused!(input)).equals(Buffer.from(wasm.compress(input, 3)))).toBe(true);
    }
  });

  it('the WebAssembly build round-trips standard frames', async () => {
    const wasm = await wasmZstd();
    for (const input of INPUTS) {
      const out = wasm.compress(input);
      expect(Buffer.from(out.subarray(0, 4)).toString('hex')).toBe(ZSTD_MAGIC);
      expect(Buffer.from(wasm.decompress(out, 1 << 20)).equals(input)).toBe(true);
    }
  });

  // Runs on Node 22.15 and newer only: Node 20's zlib has no zstd (the test above covers it there).
  it.runIf(HAS_NODE_ZSTD)('node:zlib and the WebAssembly build read each other, at the same level', async () => {
    const node = nodeZstd();
    const wasm = await wasmZstd();
    expect(node).not.toBeNull();
    for (const input of INPUTS) {
      const fromNode = node!.compress(input);
      const fromWasm = wasm.compress(input);
      expect(Buffer.from(wasm.decompress(fromNode, 1 << 20)).equals(input)).toBe(true);
      expect(Buffer.from(node!.decompress(fromWasm, 1 << 20)).equals(input)).toBe(true);
      expect(Math.abs(fromNode.length - fromWasm.length)).toBeLessThanOrEqual(Math.max(8, fromWasm.length * 0.02));
    }
  });
});
