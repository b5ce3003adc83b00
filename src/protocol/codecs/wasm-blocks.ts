// The lz4 and snappy block compressors that run as WebAssembly: lz4_flex
// (package lz4-wasm-nodejs) and the snap crate (package snappy-wasm), both
// shipped compiled, so nothing is built at install time. Each is loaded once,
// synchronously; where WebAssembly cannot load, the block is null and the
// codecs fall back to JavaScript (our lz4 block compressor, snappyjs).

import { createRequire } from 'node:module';

/** One raw block (lz4 block format, or one raw snappy block) for `input`. */
export type BlockCompressor = (input: Uint8Array) => Uint8Array;

const require = createRequire(import.meta.url);

/** The block compressor `pick` takes from package `pkg`, or null where it (or WebAssembly) does not load. */
export function loadBlock<M>(pkg: string, pick: (m: M) => BlockCompressor): BlockCompressor | null {
  try {
    return pick(require(pkg) as M);
  } catch {
    return null;
  }
}

// lz4_flex's compress() prepends the input length (4 bytes, little-endian)
// to the block; the LZ4 frame has its own block sizes, so it is cut off.
const LZ4_FLEX_SIZE_PREFIX = 4;

export const LZ4_WASM_BLOCK = loadBlock<{ compress(input: Uint8Array): Uint8Array }>('lz4-wasm-nodejs', (m) => (input) => m.compress(input).subarray(LZ4_FLEX_SIZE_PREFIX));

export const SNAPPY_WASM_BLOCK = loadBlock<{ compress_raw(input: Uint8Array): Uint8Array }>('snappy-wasm', (m) => (input) => m.compress_raw(input));
