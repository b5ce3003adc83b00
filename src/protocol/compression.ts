// The codecs a record batch can carry (attributes bits 0-2). Compression runs
// where the sender runs (its worker thread), never on the caller's thread.

import { gunzipSync, gzipSync } from 'node:zlib';
import { ProtocolError } from './errors.js';
import { lz4Compress, lz4Decompress } from './codecs/lz4.js';
import { snappyCompress, snappyDecompress } from './codecs/snappy.js';
import { loadZstd, zstdCompress, zstdDecompress } from './codecs/zstd.js';

/** The codecs compressionType names: every one is built in (no native module). */
export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export const COMPRESSION_TYPES: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** Codec id in the batch attributes, by name. */
export const CODEC_ID: Readonly<Record<CompressionType, number>> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

/** Makes every codec usable synchronously (zstd's WebAssembly loads asynchronously). */
export function loadCodecs(): Promise<void> {
  return loadZstd();
}

export function compress(type: CompressionType, data: Uint8Array): Buffer {
  switch (type) {
    case 'none':
      return Buffer.from(data.buffer, data.byteOffset, data.length);
    case 'gzip':
      return gzipSync(data);
    case 'snappy':
      return snappyCompress(data);
    case 'lz4':
      return lz4Compress(data);
    case 'zstd':
      return zstdCompress(data);
  }
}

/**
 * Decompresses a batch body by codec id. `maxOutputSize` bounds zstd's output
 * buffer when the frame does not state its size.
 */
export function decompress(codecId: number, data: Uint8Array, maxOutputSize = 64 * 1024 * 1024): Buffer {
  switch (codecId) {
    case 0:
      return Buffer.from(data.buffer, data.byteOffset, data.length);
    case 1:
      return gunzipSync(data);
    case 2:
      return snappyDecompress(data);
    case 3:
      return lz4Decompress(data);
    case 4:
      return zstdDecompress(data, maxOutputSize);
    default:
      throw new ProtocolError(`unknown compression codec id ${codecId} in batch attributes`);
  }
}
