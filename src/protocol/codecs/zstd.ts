// zstd from node:zlib where the runtime has it (Node 22.15 and newer, Bun and
// Deno too): the reference C library, synchronous, nothing to load; measured
// 2.5 to 3.5 times the WebAssembly build's speed on 16 to 64 KiB batches.
// Elsewhere (Node 20) from @bokuweb/zstd-wasm, a WebAssembly build of the same
// library, which must be initialised once (async) before the synchronous
// calls work; loadZstd() does that, and loads it only where it is needed.
// There one compression context is kept and reused (the package's compress()
// makes and frees one per call, a third of the CPU of a 16 KiB batch).

import { createRequire } from 'node:module';
import path from 'node:path';
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

/** The parts of the package's Emscripten module used to keep one context (not in its published API). */
interface ZstdModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _ZSTD_compressBound(size: number): number;
  _ZSTD_isError(code: number): number;
  _ZSTD_createCCtx(): number;
  _ZSTD_compress_usingDict(cctx: number, dst: number, capacity: number, src: number, size: number, dict: number, dictSize: number, level: number): number;
}

/**
 * A compressor over one reused ZSTD_CCtx of the initialised WebAssembly
 * module (the same bytes as the package's compress()), or null where the
 * module does not have what it needs: the package's own compress() then.
 */
export function contextCompressor(): ((input: Uint8Array) => Uint8Array) | null {
  let m: Partial<ZstdModule> | undefined;
  try {
    const require = createRequire(import.meta.url);
    m = (require(path.join(path.dirname(require.resolve('@bokuweb/zstd-wasm')), 'module.js')) as { Module?: Partial<ZstdModule> }).Module;
  } catch {
    return null;
  }
  if (!m || typeof m._ZSTD_createCCtx !== 'function' || typeof m._ZSTD_compress_usingDict !== 'function' || !(m.HEAPU8 instanceof Uint8Array)) return null;
  const mod = m as ZstdModule;
  const cctx = mod._ZSTD_createCCtx();
  if (cctx === 0) return null;
  let src = 0;
  let srcCapacity = 0;
  let dst = 0;
  let dstCapacity = 0;
  return (input) => {
    const bound = mod._ZSTD_compressBound(input.length);
    if (input.length > srcCapacity) {
      if (src) mod._free(src);
      srcCapacity = input.length;
      src = mod._malloc(srcCapacity);
    }
    if (bound > dstCapacity) {
      if (dst) mod._free(dst);
      dstCapacity = bound;
      dst = mod._malloc(dstCapacity);
    }
    if ((input.length > 0 && src === 0) || dst === 0) throw new Error(`zstd: no WebAssembly memory for a ${input.length}-byte batch`);
    // HEAPU8 is read after malloc: growing the memory replaces it.
    mod.HEAPU8.set(input, src);
    const size = mod._ZSTD_compress_usingDict(cctx, dst, bound, src, input.length, 0, 0, LEVEL);
    if (mod._ZSTD_isError(size)) throw new Error(`zstd: compression failed (error ${size})`);
    return Buffer.from(mod.HEAPU8.subarray(dst, dst + size));
  };
}

/** The WebAssembly build, initialised. */
export async function wasmZstd(): Promise<ZstdCodec> {
  const wasm = await import('@bokuweb/zstd-wasm');
  await wasm.init();
  const reused = contextCompressor();
  return {
    compress: reused ?? ((input) => wasm.compress(input, LEVEL)),
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
