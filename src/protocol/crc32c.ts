// CRC-32C (Castagnoli), the checksum of record batch v2, from crc-32/crc32c.

import CRC32C from 'crc-32/crc32c.js';

/** Unsigned CRC-32C of bytes [start, end) of buf. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  return CRC32C.buf(start === 0 && end === buf.length ? buf : buf.subarray(start, end)) >>> 0;
}
