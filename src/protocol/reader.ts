// Reader: decodes Kafka primitives from one buffer. Every read is bounds-checked
// so a truncated or malformed response becomes a ProtocolError naming the
// offset, never a RangeError from deep inside Buffer. Lengths and counts are
// checked against the bytes left before anything is allocated or looped
// over: a hostile count costs at most one pass over bytes that did arrive.

import { ProtocolError } from './errors.js';

const TWO_POW_32 = 4294967296;
/** A varlong is at most 10 bytes (64 bits, 7 per byte). */
const MAX_VARLONG_BYTES = 10;

export class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  #need(n: number, what: string): number {
    const at = this.pos;
    // Written so that NaN fails too.
    if (!(n >= 0 && n <= this.end - at)) {
      throw new ProtocolError(`truncated data: ${what} needs ${n} bytes at offset ${at}, ${this.end - at} left`);
    }
    this.pos = at + n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.#need(1, 'int8'));
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    return this.buf.readInt16BE(this.#need(2, 'int16'));
  }

  uint16(): number {
    return this.buf.readUInt16BE(this.#need(2, 'uint16'));
  }

  int32(): number {
    return this.buf.readInt32BE(this.#need(4, 'int32'));
  }

  uint32(): number {
    return this.buf.readUInt32BE(this.#need(4, 'uint32'));
  }

  /** int64 as a number; beyond 2^53 it is a ProtocolError (use int64Big). */
  int64(): number {
    const at = this.#need(8, 'int64');
    const v = this.buf.readInt32BE(at) * TWO_POW_32 + this.buf.readUInt32BE(at + 4);
    if (!Number.isSafeInteger(v)) throw new ProtocolError(`int64 at offset ${at} exceeds 2^53; read it with int64Big`);
    return v;
  }

  int64Big(): bigint {
    return this.buf.readBigInt64BE(this.#need(8, 'int64'));
  }

  float64(): number {
    return this.buf.readDoubleBE(this.#need(8, 'float64'));
  }

  uuid(): Buffer {
    const at = this.#need(16, 'uuid');
    return this.buf.subarray(at, at + 16);
  }

  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new ProtocolError(`truncated varint at offset ${this.pos}`);
      const b = this.buf[this.pos++] as number;
      if (shift === 28 && b > 0x0f) throw new ProtocolError(`unsigned varint longer than 32 bits at offset ${this.pos - 1}`);
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }

  varint(): number {
    const n = this.uvarint();
    return (n >>> 1) ^ -(n & 1);
  }

  /** Zigzag varlong as a number; beyond 2^53 it is a ProtocolError (use varlongBig). */
  varlong(): number {
    const start = this.pos;
    let n = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new ProtocolError(`truncated varlong at offset ${this.pos}`);
      if (this.pos - start === MAX_VARLONG_BYTES) throw new ProtocolError(`varlong longer than 64 bits at offset ${start}`);
      const b = this.buf[this.pos++] as number;
      n += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) break;
      scale *= 128;
    }
    if (n > Number.MAX_SAFE_INTEGER) {
      // Doubles lost precision: decode exactly, then check the range.
      this.pos = start;
      return Number(this.#checkedBig(this.varlongBig(), start));
    }
    // Undo zigzag with arithmetic: even -> n/2, odd -> -(n+1)/2.
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  varlongBig(): bigint {
    let n = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new ProtocolError(`truncated varlong at offset ${this.pos}`);
      const b = this.buf[this.pos++] as number;
      n |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new ProtocolError(`varlong longer than 64 bits at offset ${this.pos - 1}`);
    }
    n = BigInt.asUintN(64, n);
    return (n >> 1n) ^ -(n & 1n);
  }

  #checkedBig(v: bigint, at: number): bigint {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new ProtocolError(`varlong at offset ${at} exceeds 2^53; read it with varlongBig`);
    }
    return v;
  }

  /** n bytes by reference (no copy). */
  raw(n: number): Buffer {
    const at = this.#need(n, 'bytes');
    return this.buf.subarray(at, at + n);
  }

  #utf8(n: number): string {
    const at = this.#need(n, 'string');
    return this.buf.toString('utf8', at, at + n);
  }

  string(): string {
    const n = this.int16();
    if (n < 0) throw new ProtocolError(`null where a non-nullable string was expected at offset ${this.pos - 2}`);
    return this.#utf8(n);
  }

  nullableString(): string | null {
    const n = this.int16();
    return n < 0 ? null : this.#utf8(n);
  }

  compactString(): string {
    const n = this.uvarint();
    if (n === 0) throw new ProtocolError(`null where a non-nullable compact string was expected at offset ${this.pos - 1}`);
    return this.#utf8(n - 1);
  }

  compactNullableString(): string | null {
    const n = this.uvarint();
    return n === 0 ? null : this.#utf8(n - 1);
  }

  /** An ARRAY's int32 count, -1 for null; `name` is the field's, for the error. */
  arrayLength(name?: string): number {
    const n = this.int32();
    return n < 0 ? -1 : this.#elements(n, this.pos - 4, name);
  }

  /** A COMPACT_ARRAY's count (uvarint N + 1), -1 for null. */
  compactArrayLength(name?: string): number {
    const at = this.pos;
    const n = this.uvarint() - 1;
    return n < 0 ? -1 : this.#elements(n, at, name);
  }

  /** Every element takes at least a byte, so a count above the bytes left is a lie (as Kafka's own readers judge it). */
  #elements(n: number, at: number, name: string | undefined): number {
    if (n > this.remaining) throw new ProtocolError(`array${name === undefined ? '' : ` "${name}"`} at offset ${at} claims ${n} elements with ${this.remaining} bytes left`);
    return n;
  }

  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) throw new ProtocolError(`null where non-nullable bytes were expected at offset ${this.pos - 4}`);
    return this.raw(n);
  }

  nullableBytes(): Buffer | null {
    const n = this.int32();
    return n < 0 ? null : this.raw(n);
  }

  compactBytes(): Buffer {
    const n = this.uvarint();
    if (n === 0) throw new ProtocolError(`null where non-nullable compact bytes were expected`);
    return this.raw(n - 1);
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    return n === 0 ? null : this.raw(n - 1);
  }

  /** Skips a whole tagged-fields section, returning the raw fields by tag. */
  taggedFields(): Map<number, Buffer> {
    const count = this.uvarint();
    const fields = new Map<number, Buffer>();
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      const size = this.uvarint();
      fields.set(tag, this.raw(size));
    }
    return fields;
  }
}
