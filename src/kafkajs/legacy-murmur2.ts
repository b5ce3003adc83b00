// kafkajs 1.x's murmur2 (its LegacyPartitioner), reproduced for users who
// pinned it so their keys keep their partitions. It is NOT Java's murmur2:
// products are taken in floating point (exact only below 2^53, then cut to 32
// bits by the next bitwise operator), and the block loop runs to length / 4
// unrounded, so a key whose length is not a multiple of 4 also mixes its
// last bytes, zero-padded, as a whole block before the tail step.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** The key as kafkajs hashed it: Buffers as they are, anything else as the UTF-8 of String(key). */
export function legacyKeyBytes(key: unknown): Buffer {
  return Buffer.isBuffer(key) ? key : Buffer.from(String(key));
}

/** kafkajs 1.x's murmur2 of the bytes: a signed 32-bit number. */
export function legacyMurmur2(data: Uint8Array): number {
  const length = data.length;
  // Read past the end as 0, as JavaScript's undefined & 0xff is.
  const at = (i: number): number => data[i] ?? 0;
  let h = SEED ^ length;
  for (let i = 0; i < length / 4; i++) {
    const j = i * 4;
    // A sum, not an OR: the top byte's shift may be negative and the sum stays a float.
    let k = at(j) + (at(j + 1) << 8) + (at(j + 2) << 16) + (at(j + 3) << 24);
    k *= M;
    k ^= k >>> R;
    k *= M;
    h *= M;
    h ^= k;
  }
  const tail = length & ~3;
  switch (length % 4) {
    case 3:
      h ^= at(tail + 2) << 16;
    // falls through
    case 2:
      h ^= at(tail + 1) << 8;
    // falls through
    case 1:
      h ^= at(tail);
      h *= M;
  }
  h ^= h >>> 13;
  h *= M;
  h ^= h >>> 15;
  return h;
}
