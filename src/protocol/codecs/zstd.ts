// zstd from @bokuweb/zstd-wasm: Node 20's zlib has no zstd, and this package
// ships a WebAssembly build of the reference C library, so it needs no native
// toolchain at install time. The module must be initialised once (async)
// before the synchronous calls work; loadZstd() does that.

import { compress, decompress, init } from '@bokuweb/zstd-wasm';

let ready: Promise<void> | null = null;
let loaded = false;

export function loadZstd(): Promise<void> {
  ready ??= init().then(() => {
    loaded = true;
  });
  return ready;
}

function ensureLoaded(): void {
  if (!loaded) throw new Error('zstd is not loaded yet: await loadCodecs() before compressing with zstd');
}

/** Level 3, the zstd default and the Java client's. */
export function zstdCompress(input: Uint8Array): Buffer {
  ensureLoaded();
  const out = compress(input, 3);
  return Buffer.from(out.buffer, out.byteOffset, out.length);
}

export function zstdDecompress(input: Uint8Array, maxOutputSize: number): Buffer {
  ensureLoaded();
  const out = decompress(input, { defaultHeapSize: maxOutputSize });
  return Buffer.from(out.buffer, out.byteOffset, out.length);
}
