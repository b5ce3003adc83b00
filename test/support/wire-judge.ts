// A reader of Produce requests (v3 to v13, header included) and record
// batches (magic 2) written for the tests from Kafka's protocol guide and
// its DefaultRecordBatch layout, sharing no code with src/protocol: the fake
// cluster judges our encoder's bytes with it, so a mistake made alike in our
// encoder and our decoder cannot pass unseen. Every field a producer must set
// a certain way is checked (sizes, CRC-32C by the crc-32 package, counts,
// deltas, the producer fields); anything else is a WireComplaint.

import { gunzipSync } from 'node:zlib';
import CRC32C from 'crc-32/crc32c.js';

/** The bytes break a rule of the protocol: which, and where. */
export class WireComplaint extends Error {
  override name = 'WireComplaint';
}

/** A batch whose CRC and header are sound, compressed with a codec the judge does not inflate. */
export class UnreadableCodec extends WireComplaint {}

export interface JudgedRecord {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

export interface JudgedBatch {
  partitionLeaderEpoch: number;
  crc: number;
  compression: number;
  transactional: boolean;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  records: JudgedRecord[];
}

export interface JudgedPartition {
  index: number;
  /** The records field as sent, or null. */
  records: Buffer | null;
  /** Its batches, read; or the complaint that stopped the read (a broker answers CORRUPT_MESSAGE). */
  batches: JudgedBatch[] | WireComplaint;
}

export interface JudgedProduce {
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topics: { name: string | null; topicId: Buffer | null; partitions: JudgedPartition[] }[];
}

class Bytes {
  at = 0;
  constructor(
    readonly buf: Buffer,
    readonly what: string,
  ) {}

  #need(n: number): void {
    if (n < 0 || this.at + n > this.buf.length) throw new WireComplaint(`${this.what}: ${n} bytes needed at ${this.at}, ${this.buf.length - this.at} left`);
  }
  i8(): number {
    this.#need(1);
    return this.buf.readInt8(this.at++);
  }
  i16(): number {
    this.#need(2);
    const v = this.buf.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  i32(): number {
    this.#need(4);
    const v = this.buf.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  u32(): number {
    this.#need(4);
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  i64(): number {
    this.#need(8);
    const v = this.buf.readBigInt64BE(this.at);
    this.at += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new WireComplaint(`${this.what}: int64 ${v} out of the safe range`);
    return Number(v);
  }
  take(n: number): Buffer {
    this.#need(n);
    const b = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }
  /** Unsigned LEB128, at most `bytes` long (5 for 32 bits, 10 for 64). */
  uvarint(bytes = 5): bigint {
    let v = 0n;
    for (let i = 0; i < bytes; i++) {
      this.#need(1);
      const b = this.buf[this.at++] as number;
      v |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return v;
    }
    throw new WireComplaint(`${this.what}: varint longer than ${bytes} bytes at ${this.at}`);
  }
  /** Zigzag varint (int32). */
  varint(): number {
    const u = this.uvarint(5);
    return Number((u >> 1n) ^ -(u & 1n));
  }
  /** Zigzag varlong (int64). */
  varlong(): number {
    const u = this.uvarint(10);
    return Number((u >> 1n) ^ -(u & 1n));
  }
  string(flexible: boolean, nullable: boolean): string | null {
    const n = flexible ? Number(this.uvarint()) - 1 : this.i16();
    if (n < 0) {
      if (!nullable) throw new WireComplaint(`${this.what}: null where a string is required, at ${this.at}`);
      return null;
    }
    return this.take(n).toString('utf8');
  }
  arrayLength(flexible: boolean): number {
    const n = flexible ? Number(this.uvarint()) - 1 : this.i32();
    if (n < 0) throw new WireComplaint(`${this.what}: null array at ${this.at}`);
    return n;
  }
  /** Tagged fields: none is known to a Produce request, so each is skipped whole. */
  taggedFields(): void {
    const n = Number(this.uvarint());
    for (let i = 0; i < n; i++) {
      this.uvarint();
      this.take(Number(this.uvarint()));
    }
  }
  end(): void {
    if (this.at !== this.buf.length) throw new WireComplaint(`${this.what}: ${this.buf.length - this.at} bytes left over at ${this.at}`);
  }
}

/** Reads one Produce request frame (size prefix first) as a broker would, judging each partition's batches. */
export function judgeProduceRequest(frame: Buffer): JudgedProduce {
  const r = new Bytes(frame, 'Produce request');
  const size = r.i32();
  if (size !== frame.length - 4) throw new WireComplaint(`Produce request: size prefix ${size}, ${frame.length - 4} bytes follow`);
  const apiKey = r.i16();
  const apiVersion = r.i16();
  if (apiKey !== 0) throw new WireComplaint(`not a Produce request: api key ${apiKey}`);
  if (apiVersion < 3 || apiVersion > 13) throw new WireComplaint(`Produce v${apiVersion}: only v3 to v13 carry record batches v2`);
  const flexible = apiVersion >= 9;
  const correlationId = r.i32();
  // Request header v1 and v2 both keep an int16-length client id.
  const clientId = r.string(false, true);
  if (flexible) r.taggedFields();
  const transactionalId = r.string(flexible, true);
  const acks = r.i16();
  if (acks !== -1 && acks !== 0 && acks !== 1) throw new WireComplaint(`Produce request: acks ${acks}`);
  const timeoutMs = r.i32();
  const topics: JudgedProduce['topics'] = [];
  for (let t = r.arrayLength(flexible); t > 0; t--) {
    const name = apiVersion <= 12 ? r.string(flexible, false) : null;
    const topicId = apiVersion >= 13 ? Buffer.from(r.take(16)) : null;
    const partitions: JudgedPartition[] = [];
    for (let p = r.arrayLength(flexible); p > 0; p--) {
      const index = r.i32();
      const n = flexible ? Number(r.uvarint()) - 1 : r.i32();
      const records = n < 0 ? null : Buffer.from(r.take(n));
      if (flexible) r.taggedFields();
      let batches: JudgedBatch[] | WireComplaint;
      try {
        batches = records ? judgeRecordBatches(records) : [];
      } catch (err) {
        if (!(err instanceof WireComplaint)) throw err;
        batches = err;
      }
      partitions.push({ index, records, batches });
    }
    if (flexible) r.taggedFields();
    topics.push({ name, topicId, partitions });
  }
  if (flexible) r.taggedFields();
  r.end();
  return { apiVersion, correlationId, clientId, transactionalId, acks, timeoutMs, topics };
}

/** Reads consecutive record batches (magic 2); `fromProducer` (the default): as a producer must write them, offsets from 0, CreateTime, no control batch. */
export function judgeRecordBatches(buf: Buffer, opts: { fromProducer?: boolean } = {}): JudgedBatch[] {
  const out: JudgedBatch[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < 12) throw new WireComplaint(`record batch at ${at}: ${buf.length - at} bytes, less than offset and length`);
    const length = buf.readInt32BE(at + 8);
    if (length < 49 || at + 12 + length > buf.length) throw new WireComplaint(`record batch at ${at}: length ${length}, ${buf.length - at - 12} bytes follow`);
    out.push(judgeBatch(buf.subarray(at, at + 12 + length), opts.fromProducer ?? true));
    at += 12 + length;
  }
  return out;
}

function judgeBatch(batch: Buffer, fromProducer: boolean): JudgedBatch {
  const r = new Bytes(batch, 'record batch');
  const baseOffset = r.i64();
  r.i32(); // length: judged by the caller
  const partitionLeaderEpoch = r.i32();
  const magic = r.i8();
  if (magic !== 2) throw new WireComplaint(`record batch: magic ${magic}, not 2`);
  const crc = r.u32();
  // The CRC covers everything from the attributes (byte 21) to the end.
  const computed = CRC32C.buf(batch.subarray(21)) >>> 0;
  if (crc !== computed) throw new WireComplaint(`record batch: CRC-32C ${crc.toString(16)} in the header, ${computed.toString(16)} over the bytes`);
  const attributes = r.i16();
  const compression = attributes & 0x07;
  if (attributes & ~0x37) throw new WireComplaint(`record batch: unknown attribute bits ${attributes.toString(2)}`);
  const lastOffsetDelta = r.i32();
  const baseTimestamp = r.i64();
  const maxTimestamp = r.i64();
  const producerId = r.i64();
  const producerEpoch = r.i16();
  const baseSequence = r.i32();
  const count = r.i32();
  if (fromProducer) {
    if (baseOffset !== 0) throw new WireComplaint(`record batch from a producer: base offset ${baseOffset}, not 0`);
    if (attributes & 0x08) throw new WireComplaint('record batch from a producer: LogAppendTime set');
    if (attributes & 0x20) throw new WireComplaint('record batch from a producer: control bit set');
  }
  if (producerId < 0 && (producerEpoch !== -1 || baseSequence !== -1)) {
    throw new WireComplaint(`record batch without a producer id: epoch ${producerEpoch} and sequence ${baseSequence}, not -1`);
  }
  if (producerId >= 0 && (producerEpoch < 0 || baseSequence < 0)) throw new WireComplaint(`record batch of producer ${producerId}: epoch ${producerEpoch}, sequence ${baseSequence}`);
  if (count < 1 || lastOffsetDelta !== count - 1) throw new WireComplaint(`record batch: ${count} records, last offset delta ${lastOffsetDelta}`);
  const body = inflate(compression, r.take(batch.length - r.at));
  const rr = new Bytes(body, 'records');
  const records: JudgedRecord[] = [];
  let latest = -Infinity;
  for (let i = 0; i < count; i++) {
    const length = rr.varint();
    const start = rr.at;
    const recordAttributes = rr.i8();
    if (recordAttributes !== 0) throw new WireComplaint(`record ${i}: attributes ${recordAttributes}, not 0`);
    const timestampDelta = rr.varlong();
    const offsetDelta = rr.varint();
    if (offsetDelta !== i) throw new WireComplaint(`record ${i}: offset delta ${offsetDelta}`);
    const key = varBytes(rr);
    const value = varBytes(rr);
    const headers: JudgedRecord['headers'] = [];
    for (let h = rr.varint(); h > 0; h--) {
      const k = varBytes(rr);
      if (k === null) throw new WireComplaint(`record ${i}: a header with a null key`);
      headers.push({ key: k.toString('utf8'), value: varBytes(rr) });
    }
    if (rr.at - start !== length) throw new WireComplaint(`record ${i}: length ${length}, fields take ${rr.at - start}`);
    latest = Math.max(latest, baseTimestamp + timestampDelta);
    records.push({ offsetDelta, timestampDelta, key, value, headers });
  }
  rr.end();
  if (maxTimestamp !== latest) throw new WireComplaint(`record batch: max timestamp ${maxTimestamp}, latest record at ${latest}`);
  return { partitionLeaderEpoch, crc, compression, transactional: (attributes & 0x10) !== 0, baseTimestamp, maxTimestamp, producerId, producerEpoch, baseSequence, records };
}

function varBytes(r: Bytes): Buffer | null {
  const n = r.varint();
  return n < 0 ? null : Buffer.from(r.take(n));
}

function inflate(compression: number, bytes: Buffer): Buffer {
  if (compression === 0) return bytes;
  if (compression === 1) return gunzipSync(bytes);
  throw new UnreadableCodec(`record batch: the wire judge reads uncompressed and gzip batches, not codec ${compression}`);
}
