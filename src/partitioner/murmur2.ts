// Kafka's murmur2, bit for bit as the Java client's Utils.murmur2, so a key
// lands on the same partition as it would from a Java producer. All arithmetic
// is 32-bit with wraparound: Math.imul for products, >>> for Java's >>>.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** Signed 32-bit murmur2 of the key bytes, as Java returns it. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = (data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The tail falls through from the highest remaining byte, as in Java's switch.
  switch (length & 3) {
    case 3:
      h ^= (data[blocks + 2] as number) << 16;
    // falls through
    case 2:
      h ^= (data[blocks + 1] as number) << 8;
    // falls through
    case 1:
      h ^= data[blocks] as number;
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition the Java client's default partitioner picks for these key bytes. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}
