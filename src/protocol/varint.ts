// Varints written straight into a buffer at a position, with their sizes
// known up front: the record encoder sizes a record before writing it so it
// can be placed in memory once, without a Writer or a copy.

/** Bytes of the zigzag varint of a 32-bit signed value. */
export function sizeOfVarint(v: number): number {
  let n = ((v << 1) ^ (v >> 31)) >>> 0;
  let size = 1;
  while (n >= 0x80) {
    n >>>= 7;
    size++;
  }
  return size;
}

// Zigzag of a number is exact in doubles only while 2|v| + 1 <= 2^53; beyond
// that (never for timestamp deltas in practice) the bigint path is used.
const EXACT_ZIGZAG_LIMIT = 2 ** 52;

function zigzagBig(v: number): bigint {
  const b = BigInt(v);
  return BigInt.asUintN(64, (b << 1n) ^ (b >> 63n));
}

/** Bytes of the zigzag varlong of a safe integer. */
export function sizeOfVarlong(v: number): number {
  if (v >= EXACT_ZIGZAG_LIMIT || v <= -EXACT_ZIGZAG_LIMIT) {
    let n = zigzagBig(v);
    let size = 1;
    while (n >= 0x80n) {
      n >>= 7n;
      size++;
    }
    return size;
  }
  let n = v >= 0 ? v * 2 : -v * 2 - 1;
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

export function writeVarlongAt(buf: Uint8Array, pos: number, v: number): number {
  if (v >= EXACT_ZIGZAG_LIMIT || v <= -EXACT_ZIGZAG_LIMIT) {
    let n = zigzagBig(v);
    while (n >= 0x80n) {
      buf[pos++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    buf[pos++] = Number(n);
    return pos;
  }
  let n = v >= 0 ? v * 2 : -v * 2 - 1;
  while (n >= 0x80) {
    buf[pos++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[pos++] = n;
  return pos;
}

export function writeVarintAt(buf: Uint8Array, pos: number, v: number): number {
  let n = ((v << 1) ^ (v >> 31)) >>> 0;
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}
