// The lz4 and snappy block compressors that run as WebAssembly: lz4_flex
// (package lz4-wasm-nodejs) and the snap crate (package snappy-wasm), both
// shipped compiled, so nothing is built at install time. Each is loaded on
// first use (a producer that does not compress never loads them), once,
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

let lz4: BlockCompressor | null | undefined;
let snappy: BlockCompressor | null | undefined;

/** lz4_flex's block compressor, or null where it does not load. */
export function lz4WasmBlock(): BlockCompressor | null {
  if (lz4 === undefined) lz4 = loadBlock<{ compress(input: Uint8Array): Uint8Array }>('lz4-wasm-nodejs', (m) => (input) => m.compress(input).subarray(LZ4_FLEX_SIZE_PREFIX));
  return lz4;
}

/** The snap crate's raw block compressor, or null where it does not load. */
export function snappyWasmBlock(): BlockCompressor | null {
  if (snappy === undefined) snappy = loadBlock<{ compress_raw(input: Uint8Array): Uint8Array }>('snappy-wasm', (m) => (input) => m.compress_raw(input));
  return snappy;
}
