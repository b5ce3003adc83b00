// Kafka's lz4 codec (compression attribute 3): record batches carry an LZ4 frame,
// laid out exactly as Apache Kafka's Java client writes it (same header bytes, 64 KiB
// independent blocks, no checksums), so brokers and clients read ours like theirs.

import { lz4WasmBlock, type BlockCompressor } from './wasm-blocks.js';

const FRAME_MAGIC = 0x184d2204;
// Skippable frames share the top 28 bits; the low nibble is free for applications.
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

// FLG: version 01, independent blocks, no checksums, no content size.
// BD: 64 KiB max block size. Both are what the Java client writes.
const FLG_OUT = 0x60;
const BD_OUT = 0x40;
const BLOCK_SIZE_OUT = 64 * 1024;

const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENCE = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICT_ID = 0x01;
const BD_RESERVED = 0x8f;

const BLOCK_UNCOMPRESSED = 0x80000000;

// Block format rules (lz4 Block format): a match copies at least 4 bytes, the last
// 5 bytes of a block are always literals, and the last match starts at least 12
// bytes before the block end so decoders can copy in wide strides without checks.
const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;

// 2^14 entries keeps the table (64 KiB) cache-resident while still covering a full
// 64 KiB block well; the multiplier is Knuth's golden-ratio constant 2654435761.
const HASH_LOG = 14;
const HASH_SHIFT = 32 - HASH_LOG;
const HASH_MULTIPLIER = -1640531535; // 2654435761 as int32, for Math.imul
// After a long run without a match, probe every 2nd, 3rd, ... byte: incompressible
// data then costs little time, and it is sent uncompressed anyway.
const SKIP_TRIGGER = 6;

// Entries are stored as (position + offset) with `generation` rising by each
// block's length, so entries from earlier blocks or calls decode to positions
// before the current block and are ignored. This spares clearing the table for
// every block, which would dominate the cost of the small batches Kafka sends.
const hashTable = new Int32Array(1 << HASH_LOG);
let generation = 1;
const GENERATION_LIMIT = 0x7fffffff - 2 * BLOCK_SIZE_OUT;

const PRIME32_1 = 0x9e3779b1 | 0;
const PRIME32_2 = 0x85ebca77 | 0;
const PRIME32_3 = 0xc2b2ae3d | 0;
const PRIME32_4 = 0x27d4eb2f | 0;
const PRIME32_5 = 0x165667b1 | 0;

function readU32LE(a: Uint8Array, i: number): number {
  return (a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24)) >>> 0;
}

// Signed variant for the compressor's hot loop: only compared for equality and
// hashed, so skipping the unsigned conversion is harmless.
function read32(a: Uint8Array, i: number): number {
  return a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24);
}

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function xxRound(acc: number, lane: number): number {
  return Math.imul(rotl32((acc + Math.imul(lane, PRIME32_2)) | 0, 13), PRIME32_1);
}

/** xxHash32 of `data`; returns an unsigned 32-bit integer. */
export function xxhash32(data: Uint8Array, seed: number): number {
  const len = data.length;
  let i = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + PRIME32_1 + PRIME32_2) | 0;
    let v2 = (seed + PRIME32_2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - PRIME32_1) | 0;
    const limit = len - 16;
    while (i <= limit) {
      v1 = xxRound(v1, read32(data, i));
      v2 = xxRound(v2, read32(data, i + 4));
      v3 = xxRound(v3, read32(data, i + 8));
      v4 = xxRound(v4, read32(data, i + 12));
      i += 16;
    }
    h = (rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18)) | 0;
  } else {
    h = (seed + PRIME32_5) | 0;
  }
  h = (h + len) | 0;
  while (i + 4 <= len) {
    h = Math.imul(rotl32((h + Math.imul(read32(data, i), PRIME32_3)) | 0, 17), PRIME32_4);
    i += 4;
  }
  while (i < len) {
    h = Math.imul(rotl32((h + Math.imul(data[i]!, PRIME32_5)) | 0, 11), PRIME32_1);
    i++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, PRIME32_2);
  h ^= h >>> 13;
  h = Math.imul(h, PRIME32_3);
  h ^= h >>> 16;
  return h >>> 0;
}

const FRAME_HEADER = Uint8Array.of(
  0x04,
  0x22,
  0x4d,
  0x18,
  FLG_OUT,
  BD_OUT,
  (xxhash32(Uint8Array.of(FLG_OUT, BD_OUT), 0) >>> 8) & 0xff,
);

function hashOf(sequence: number): number {
  return Math.imul(sequence, HASH_MULTIPLIER) >>> HASH_SHIFT;
}

function writeLengthExtension(dst: Uint8Array, op: number, rest: number): number {
  while (rest >= 255) {
    dst[op++] = 255;
    rest -= 255;
  }
  dst[op++] = rest;
  return op;
}

// Literal runs are usually a few bytes; a loop beats the fixed cost of
// subarray + set until runs get longer.
function copyLiterals(src: Uint8Array, from: number, to: number, dst: Uint8Array, op: number): void {
  if (to - from < 32) {
    while (from < to) dst[op++] = src[from++]!;
  } else {
    dst.set(src.subarray(from, to), op);
  }
}

/**
 * Compresses src[start, end) as one independent LZ4 block into dst from `op`.
 * Returns the end position in dst, or -1 as soon as the output would pass
 * `limit`, i.e. when storing the block uncompressed is at least as small.
 */
function compressBlock(
  src: Uint8Array,
  start: number,
  end: number,
  dst: Uint8Array,
  op: number,
  limit: number,
): number {
  let anchor = start;

  if (end - start > MF_LIMIT) {
    if (generation > GENERATION_LIMIT) {
      hashTable.fill(0);
      generation = 1;
    }
    const offset = generation - start;
    generation += end - start;

    const matchStartLimit = end - MF_LIMIT;
    const matchEndLimit = end - LAST_LITERALS;

    hashTable[hashOf(read32(src, start))] = start + offset;
    let ip = start + 1;

    search: for (;;) {
      let ref: number;
      let attempts = 1 << SKIP_TRIGGER;
      let step = 1;
      for (;;) {
        if (ip > matchStartLimit) break search;
        const sequence = read32(src, ip);
        const h = hashOf(sequence);
        ref = hashTable[h]! - offset;
        hashTable[h] = ip + offset;
        // ref < ip always holds for entries of this block, and a block is at
        // most 64 KiB, so the distance always fits the 16-bit offset.
        if (ref >= start && read32(src, ref) === sequence) break;
        ip += step;
        step = attempts++ >> SKIP_TRIGGER;
      }

      // Bytes just before a match often match too; moving them from the
      // literal run into the match saves output.
      while (ip > anchor && ref > start && src[ip - 1] === src[ref - 1]) {
        ip--;
        ref--;
      }

      let matchEnd = ip + MIN_MATCH;
      let r = ref + MIN_MATCH;
      while (matchEnd < matchEndLimit && src[matchEnd] === src[r]) {
        matchEnd++;
        r++;
      }

      const literalLength = ip - anchor;
      const matchLength = matchEnd - ip - MIN_MATCH;
      // Upper bound of this sequence's size: token, offset, both extensions, literals.
      if (op + literalLength + ((literalLength / 255) | 0) + ((matchLength / 255) | 0) + 5 > limit) {
        return -1;
      }

      const tokenPos = op++;
      let token: number;
      if (literalLength >= 15) {
        token = 0xf0;
        op = writeLengthExtension(dst, op, literalLength - 15);
      } else {
        token = literalLength << 4;
      }
      copyLiterals(src, anchor, ip, dst, op);
      op += literalLength;

      const distance = ip - ref;
      dst[op++] = distance & 0xff;
      dst[op++] = distance >>> 8;

      if (matchLength >= 15) {
        token |= 15;
        op = writeLengthExtension(dst, op, matchLength - 15);
      } else {
        token |= matchLength;
      }
      dst[tokenPos] = token;

      ip = matchEnd;
      anchor = ip;
      if (ip > matchStartLimit) break;
      // Seed the table just behind the new position so the next search can find
      // a match that overlaps the end of this one.
      hashTable[hashOf(read32(src, ip - 2))] = ip - 2 + offset;
    }
  }

  const literalLength = end - anchor;
  if (op + literalLength + ((literalLength / 255) | 0) + 2 > limit) return -1;
  if (literalLength >= 15) {
    dst[op++] = 0xf0;
    op = writeLengthExtension(dst, op, literalLength - 15);
  } else {
    dst[op++] = literalLength << 4;
  }
  copyLiterals(src, anchor, end, dst, op);
  return op + literalLength;
}

/**
 * Compresses `input` into one LZ4 frame laid out as Kafka's Java client writes
 * it. Blocks come from `block` (lz4_flex as WebAssembly, where it loads: about
 * twice as fast as ours) or, given null, from the block compressor above.
 */
export function lz4Compress(input: Uint8Array, block: BlockCompressor | null = lz4WasmBlock()): Buffer {
  const n = input.length;
  const blockCount = Math.ceil(n / BLOCK_SIZE_OUT);
  // Worst case: every block stored uncompressed, plus header and end mark.
  const out = Buffer.allocUnsafe(FRAME_HEADER.length + blockCount * 4 + n + 4);
  out.set(FRAME_HEADER, 0);
  let op = FRAME_HEADER.length;

  for (let start = 0; start < n; start += BLOCK_SIZE_OUT) {
    const end = Math.min(n, start + BLOCK_SIZE_OUT);
    const length = end - start;
    const dataStart = op + 4;
    let written: number;
    if (block) {
      const compressed = block(input.subarray(start, end));
      written = compressed.length < length ? dataStart + compressed.length : -1;
      if (written >= 0) out.set(compressed, dataStart);
    } else {
      // limit = length - 1: a compressed block must be strictly smaller to be worth it.
      written = compressBlock(input, start, end, out, dataStart, dataStart + length - 1);
    }
    if (written < 0) {
      out.writeUInt32LE((length | BLOCK_UNCOMPRESSED) >>> 0, op);
      out.set(input.subarray(start, end), dataStart);
      op = dataStart + length;
    } else {
      out.writeUInt32LE(written - dataStart, op);
      op = written;
    }
  }

  out.writeUInt32LE(0, op);
  op += 4;
  // Copy rather than slice so a well-compressed result does not pin the
  // worst-case allocation.
  return op === out.length ? out : Buffer.from(out.subarray(0, op));
}

function need(input: Uint8Array, end: number, what: string): void {
  if (end > input.length) {
    throw new Error(`lz4: truncated input while reading ${what} (need ${end} bytes, have ${input.length})`);
  }
}

function grow(out: Buffer, used: number, required: number): Buffer {
  const next = Buffer.allocUnsafe(Math.max(required, out.length * 2));
  out.copy(next, 0, 0, used);
  return next;
}

/**
 * Decodes the block src[ip, end) into dst from `op`, never writing at or past
 * `outLimit`; matches may reach back to `lowLimit` (the block start for
 * independent blocks, the frame start for linked ones). Returns the new `op`.
 */
function decompressBlock(
  src: Uint8Array,
  ip: number,
  end: number,
  dst: Uint8Array,
  op: number,
  outLimit: number,
  lowLimit: number,
): number {
  for (;;) {
    if (ip >= end) throw new Error('lz4: block ends without a final literal run');
    const token = src[ip++]!;

    let literalLength = token >>> 4;
    if (literalLength === 15) {
      let b: number;
      do {
        if (ip >= end) throw new Error('lz4: truncated literal length');
        b = src[ip++]!;
        literalLength += b;
      } while (b === 255);
    }
    if (ip + literalLength > end) throw new Error('lz4: literal run exceeds block');
    if (op + literalLength > outLimit) throw new Error('lz4: block decodes past its maximum size');
    copyLiterals(src, ip, ip + literalLength, dst, op);
    ip += literalLength;
    op += literalLength;

    // The only legitimate way out: a block ends right after a literal run.
    if (ip === end) return op;

    if (ip + 2 > end) throw new Error('lz4: truncated match offset');
    const distance = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (distance === 0 || op - distance < lowLimit) {
      throw new Error(`lz4: match offset ${distance} points before the start of the data`);
    }

    let matchLength = token & 15;
    if (matchLength === 15) {
      let b: number;
      do {
        if (ip >= end) throw new Error('lz4: truncated match length');
        b = src[ip++]!;
        matchLength += b;
      } while (b === 255);
    }
    matchLength += MIN_MATCH;
    if (op + matchLength > outLimit) throw new Error('lz4: block decodes past its maximum size');

    let from = op - distance;
    // Overlapping matches (distance < length) are how LZ4 encodes runs and must
    // be copied forward byte by byte; copyWithin would copy the original bytes.
    if (distance >= matchLength && matchLength >= 32) {
      dst.copyWithin(op, from, from + matchLength);
      op += matchLength;
    } else {
      const stop = op + matchLength;
      while (op < stop) dst[op++] = dst[from++]!;
    }
  }
}

/**
 * Decodes LZ4 frame data: one or more frames, skippable frames ignored.
 * Throws an Error on anything malformed or unsupported.
 */
export function lz4Decompress(input: Uint8Array): Buffer {
  let out: Buffer = Buffer.allocUnsafe(Math.max(1024, input.length * 4));
  let op = 0;
  let ip = 0;

  do {
    need(input, ip + 4, 'frame magic');
    const magic = readU32LE(input, ip);
    if (((magic & SKIPPABLE_MAGIC_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      need(input, ip + 8, 'skippable frame size');
      const size = readU32LE(input, ip + 4);
      need(input, ip + 8 + size, 'skippable frame');
      ip += 8 + size;
      continue;
    }
    if (magic !== FRAME_MAGIC) {
      throw new Error(`lz4: bad frame magic 0x${magic.toString(16).padStart(8, '0')}`);
    }
    ip += 4;

    need(input, ip + 2, 'frame descriptor');
    const flg = input[ip]!;
    const bd = input[ip + 1]!;
    if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01) {
      throw new Error(`lz4: unsupported frame version ${flg >>> 6}`);
    }
    if ((flg & FLG_RESERVED) !== 0 || (bd & BD_RESERVED) !== 0) {
      throw new Error('lz4: reserved bits set in frame descriptor');
    }
    if ((flg & FLG_DICT_ID) !== 0) {
      throw new Error('lz4: frames that need a dictionary are not supported');
    }
    const blockSizeId = (bd >>> 4) & 7;
    if (blockSizeId < 4) throw new Error(`lz4: invalid block maximum size id ${blockSizeId}`);
    const blockMax = 1 << (8 + 2 * blockSizeId);
    const independent = (flg & FLG_BLOCK_INDEPENDENCE) !== 0;
    const blockChecksumSize = (flg & FLG_BLOCK_CHECKSUM) !== 0 ? 4 : 0;
    const hasContentSize = (flg & FLG_CONTENT_SIZE) !== 0;

    const descriptorLength = hasContentSize ? 10 : 2;
    need(input, ip + descriptorLength + 1, 'frame descriptor');
    const expectedChecksum = (xxhash32(input.subarray(ip, ip + descriptorLength), 0) >>> 8) & 0xff;
    if (input[ip + descriptorLength] !== expectedChecksum) {
      throw new Error('lz4: frame header checksum mismatch');
    }
    let contentSize = -1;
    if (hasContentSize) {
      const high = readU32LE(input, ip + 6);
      if (high > 0x1fffff) throw new Error('lz4: declared content size too large');
      contentSize = high * 0x100000000 + readU32LE(input, ip + 2);
    }
    ip += descriptorLength + 1;

    const frameStart = op;
    if (contentSize > 0) {
      // Only a hint: an LZ4 byte decodes to at most 255 bytes, so a corrupt
      // header cannot make us allocate more than the input can justify.
      const reserve = Math.min(contentSize, (input.length - ip) * 255);
      if (op + reserve > out.length) out = grow(out, op, op + reserve);
    }

    for (;;) {
      need(input, ip + 4, 'block size');
      const word = readU32LE(input, ip);
      ip += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (size > blockMax) throw new Error(`lz4: block of ${size} bytes exceeds frame maximum ${blockMax}`);
      need(input, ip + size + blockChecksumSize, 'block data');
      if ((word & BLOCK_UNCOMPRESSED) !== 0) {
        if (op + size > out.length) out = grow(out, op, op + size);
        out.set(input.subarray(ip, ip + size), op);
        op += size;
      } else {
        const bound = Math.min(blockMax, size * 255);
        if (op + bound > out.length) out = grow(out, op, op + bound);
        op = decompressBlock(input, ip, ip + size, out, op, op + bound, independent ? op : frameStart);
      }
      // Checksums are skipped: Kafka's record batch CRC32C already covers the
      // payload, so hashing it again would cost decode time for no extra safety.
      ip += size + blockChecksumSize;
    }
    if ((flg & FLG_CONTENT_CHECKSUM) !== 0) {
      need(input, ip + 4, 'content checksum');
      ip += 4;
    }
    if (hasContentSize && op - frameStart !== contentSize) {
      throw new Error(`lz4: frame declared ${contentSize} bytes of content but decoded ${op - frameStart}`);
    }
  } while (ip < input.length);

  return op === out.length ? out : Buffer.from(out.subarray(0, op));
}
