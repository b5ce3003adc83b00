// zstd from node:zlib where the runtime has it (Node 22.15 and newer, Bun and
// Deno too): the reference C library, synchronous, nothing to load; measured
// 2.5 to 3.5 times the WebAssembly build's speed on 16 to 64 KiB batches.
// Elsewhere (Node 20) from @bokuweb/zstd-wasm, a WebAssembly build of the same
// library, which must be initialised once (async) before the synchronous
// calls work; loadZstd() does that, and loads it only where it is needed.

import * as zlib from 'node:zlib';

/** The part of node:zlib's zstd API used here (Node 20's types lack it). */
export interface ZstdCodec {
  compress(input: Uint8Array): Uint8Array;
  decompress(input: Uint8Array, maxOutputSize: number): Uint8Array;
}

interface ZlibWithZstd {
  zstdCompressSync(input: Uint8Array, options: { params: Record<number, number> }): Buffer;
  zstdDecompressSync(input: Uint8Array, options: { maxOutputLength: number }): Buffer;
  constants: { ZSTD_c_compressionLevel?: number };
}

/** Level 3, the zstd default and the Java client's. */
const LEVEL = 3;

/** node:zlib's zstd, or null where the runtime has none. */
export function nodeZstd(z: Partial<ZlibWithZstd> = zlib as unknown as Partial<ZlibWithZstd>): ZstdCodec | null {
  const { zstdCompressSync, zstdDecompressSync, constants } = z;
  if (typeof zstdCompressSync !== 'function' || typeof zstdDecompressSync !== 'function' || constants?.ZSTD_c_compressionLevel === undefined) return null;
  const params = { [constants.ZSTD_c_compressionLevel]: LEVEL };
  return {
    compress: (input) => zstdCompressSync(input, { params }),
    decompress: (input, maxOutputSize) => zstdDecompressSync(input, { maxOutputLength: maxOutputSize }),
  };
}

const NODE_ZSTD = nodeZstd();

let codec: ZstdCodec | null = NODE_ZSTD;
let ready: Promise<void> | null = NODE_ZSTD ? Promise.resolve() : null;

/** The WebAssembly build, initialised. */
export async function wasmZstd(): Promise<ZstdCodec> {
  const wasm = await import('@bokuweb/zstd-wasm');
  await wasm.init();
  return {
    compress: (input) => wasm.compress(input, LEVEL),
    decompress: (input, maxOutputSize) => wasm.decompress(input, { defaultHeapSize: maxOutputSize }),
  };
}

export function loadZstd(): Promise<void> {
  ready ??= wasmZstd().then((c) => {
    codec = c;
  });
  return ready;
}

/** Where zstd comes from in this runtime. */
export function zstdSource(): 'node:zlib' | 'WebAssembly' {
  return NODE_ZSTD ? 'node:zlib' : 'WebAssembly';
}

function loaded(): ZstdCodec {
  if (!codec) throw new Error('zstd is not loaded yet: await loadCodecs() before compressing with zstd');
  return codec;
}

function asBuffer(out: Uint8Array): Buffer {
  return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.length);
}

export function zstdCompress(input: Uint8Array): Buffer {
  return asBuffer(loaded().compress(input));
}

export function zstdDecompress(input: Uint8Array, maxOutputSize: number): Buffer {
  return asBuffer(loaded().decompress(input, maxOutputSize));
}
