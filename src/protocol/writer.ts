// Writer: appends Kafka primitives (big-endian fixed width, zigzag varints,
// compact and nullable forms) to a growable buffer. Large byte blobs (record
// batches) are kept by reference as separate chunks instead of being copied,
// so a Produce request can go to the socket with writev and no concatenation.

import { copyBytes } from './copy-bytes.js';
import { ProtocolError } from './errors.js';
import { writeVarlongAt } from './varint.js';

const TWO_POW_32 = 4294967296;
/** Blobs at least this large become their own chunk instead of a copy. */
const BY_REFERENCE_MIN = 4096;

export class Writer {
  #buf: Buffer;
  #pos = 0;
  /** Finished chunks; the working buffer's bytes follow them. */
  #chunks: Buffer[] = [];
  #chunkBytes = 0;

  constructor(initialSize = 256) {
    this.#buf = Buffer.allocUnsafe(initialSize);
  }

  /** Bytes written so far, chunks included. */
  get length(): number {
    return this.#chunkBytes + this.#pos;
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  int8(v: number): this {
    this.#ensure(1);
    this.#buf.writeInt8(v, this.#pos);
    this.#pos += 1;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.#ensure(2);
    this.#buf.writeInt16BE(v, this.#pos);
    this.#pos += 2;
    return this;
  }

  uint16(v: number): this {
    this.#ensure(2);
    this.#buf.writeUInt16BE(v, this.#pos);
    this.#pos += 2;
    return this;
  }

  int32(v: number): this {
    this.#ensure(4);
    this.#buf.writeInt32BE(v, this.#pos);
    this.#pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.#ensure(4);
    this.#buf.writeUInt32BE(v >>> 0, this.#pos);
    this.#pos += 4;
    return this;
  }

  /** int64 from a safe integer or a bigint (for values beyond 2^53). */
  int64(v: number | bigint): this {
    this.#ensure(8);
    if (typeof v === 'bigint') {
      this.#buf.writeBigInt64BE(v, this.#pos);
    } else {
      if (!Number.isSafeInteger(v)) throw new ProtocolError(`int64 value ${v} is not a safe integer; pass a bigint`);
      const hi = Math.floor(v / TWO_POW_32);
      this.#buf.writeInt32BE(hi, this.#pos);
      this.#buf.writeUInt32BE(v - hi * TWO_POW_32, this.#pos + 4);
    }
    this.#pos += 8;
    return this;
  }

  float64(v: number): this {
    this.#ensure(8);
    this.#buf.writeDoubleBE(v, this.#pos);
    this.#pos += 8;
    return this;
  }

  uuid(v: Uint8Array): this {
    if (v.length !== 16) throw new ProtocolError(`a UUID has 16 bytes, got ${v.length}`);
    return this.raw(v);
  }

  uvarint(v: number): this {
    if (v < 0 || !Number.isInteger(v) || v > 0xffffffff) throw new ProtocolError(`unsigned varint out of range: ${v}`);
    this.#ensure(5);
    let n = v >>> 0;
    while (n >= 0x80) {
      this.#buf[this.#pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.#buf[this.#pos++] = n;
    return this;
  }

  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zigzag varlong; numbers must be safe integers, bigints cover the whole int64 range. */
  varlong(v: number | bigint): this {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new ProtocolError(`varlong value ${v} is not a safe integer; pass a bigint`);
      this.#ensure(10);
      this.#pos = writeVarlongAt(this.#buf, this.#pos, v);
      return this;
    }
    this.#ensure(10);
    let n = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (n >= 0x80n) {
      this.#buf[this.#pos++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.#buf[this.#pos++] = Number(n);
    return this;
  }

  /** Bytes as they are, by reference when large. */
  raw(v: Uint8Array): this {
    if (v.length >= BY_REFERENCE_MIN) {
      this.#chunks.push(this.#buf.subarray(0, this.#pos), Buffer.from(v.buffer, v.byteOffset, v.length));
      this.#chunkBytes += this.#pos + v.length;
      this.#buf = this.#buf.subarray(this.#pos);
      this.#pos = 0;
      if (this.#buf.length < 64) this.#buf = Buffer.allocUnsafe(256);
      return this;
    }
    this.#ensure(v.length);
    copyBytes(this.#buf, this.#pos, v);
    this.#pos += v.length;
    return this;
  }

  string(v: string): this {
    const len = Buffer.byteLength(v);
    if (len > 0x7fff) throw new ProtocolError(`string of ${len} bytes exceeds the int16 length limit`);
    this.int16(len);
    this.#utf8(v, len);
    return this;
  }

  nullableString(v: string | null): this {
    return v === null ? this.int16(-1) : this.string(v);
  }

  compactString(v: string): this {
    const len = Buffer.byteLength(v);
    this.uvarint(len + 1);
    this.#utf8(v, len);
    return this;
  }

  compactNullableString(v: string | null): this {
    return v === null ? this.uvarint(0) : this.compactString(v);
  }

  bytes(v: Uint8Array): this {
    this.int32(v.length);
    return this.raw(v);
  }

  nullableBytes(v: Uint8Array | null): this {
    return v === null ? this.int32(-1) : this.bytes(v);
  }

  compactBytes(v: Uint8Array): this {
    this.uvarint(v.length + 1);
    return this.raw(v);
  }

  compactNullableBytes(v: Uint8Array | null): this {
    return v === null ? this.uvarint(0) : this.compactBytes(v);
  }

  /** An empty tagged-fields section. */
  emptyTaggedFields(): this {
    return this.uvarint(0);
  }

  #utf8(v: string, len: number): void {
    this.#ensure(len);
    this.#buf.write(v, this.#pos, len, 'utf8');
    this.#pos += len;
  }

  /** The bytes written, as chunks in order (no copy of by-reference blobs). */
  chunks(): Buffer[] {
    return this.#pos > 0 ? [...this.#chunks, this.#buf.subarray(0, this.#pos)] : [...this.#chunks];
  }

  /** The bytes written, as one buffer (copies when there are several chunks). */
  toBuffer(): Buffer {
    const parts = this.chunks();
    return parts.length === 1 && parts[0] ? parts[0] : Buffer.concat(parts, this.length);
  }
}
