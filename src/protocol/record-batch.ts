// Record batch v2 (magic 2), docs/protocol.md §3. Records are sized first and then
// written once into their final place; the 61-byte header is filled in last,
// after compression, and the CRC-32C covers attributes through the end so the
// broker can stamp partitionLeaderEpoch without invalidating it.

import { CODEC_ID, compress, decompress, type CompressionType } from './compression.js';
import { copyBytes } from './copy-bytes.js';
import { crc32c } from './crc32c.js';
import { ProtocolError } from './errors.js';
import { Reader } from './reader.js';
import { sizeOfVarint, sizeOfVarlong, writeVarintAt, writeVarlongAt } from './varint.js';

export const BATCH_HEADER_SIZE = 61;
/** Bytes before the batchLength field's count starts (baseOffset + batchLength). */
export const BATCH_LOG_OVERHEAD = 12;

// Field offsets inside the batch header.
const OFF_BATCH_LENGTH = 8;
const OFF_LEADER_EPOCH = 12;
const OFF_MAGIC = 16;
const OFF_CRC = 17;
const OFF_ATTRIBUTES = 21;
const OFF_LAST_OFFSET_DELTA = 23;
const OFF_BASE_TIMESTAMP = 27;
const OFF_MAX_TIMESTAMP = 35;
const OFF_PRODUCER_ID = 43;
const OFF_PRODUCER_EPOCH = 51;
const OFF_BASE_SEQUENCE = 53;
const OFF_RECORDS_COUNT = 57;

const ATTR_TRANSACTIONAL = 0x10;
const ATTR_CONTROL = 0x20;
const ATTR_LOG_APPEND_TIME = 0x08;

export interface RecordHeader {
  key: string;
  value: Uint8Array | null;
}

export interface RecordInput {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers?: readonly RecordHeader[];
  /** Milliseconds since the epoch (CreateTime). */
  timestamp: number;
}

export interface BatchOptions {
  compression?: CompressionType;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
}

/** A key or value as the record encoder takes it: bytes, or a string written as UTF-8 in place. */
export type RecordBytes = Uint8Array | string | null;

/** Byte length of a key or value; -1 for null. */
export function bytesLength(v: RecordBytes): number {
  if (v === null) return -1;
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;
}

/** Headers with their keys already encoded, so sizing and writing encode each key once. */
export interface EncodedHeader {
  key: Uint8Array;
  value: Uint8Array | null;
}

export function encodeHeaders(headers: readonly RecordHeader[] | undefined): EncodedHeader[] {
  return headers ? headers.map((h) => ({ key: Buffer.from(h.key, 'utf8'), value: h.value })) : [];
}

/** Bytes the headers take in a record, their count varint included. */
export function headersSize(headers: readonly EncodedHeader[]): number {
  let size = sizeOfVarint(headers.length);
  for (const h of headers) {
    size += sizeOfVarint(h.key.length) + h.key.length;
    size += h.value === null ? 1 : sizeOfVarint(h.value.length) + h.value.length;
  }
  return size;
}

/** Size of the record's body: everything after its own length varint. */
export function recordBodySize(offsetDelta: number, timestampDelta: number, keyLength: number, valueLength: number, headerBytes: number): number {
  return (
    1 +
    sizeOfVarlong(timestampDelta) +
    sizeOfVarint(offsetDelta) +
    (keyLength < 0 ? 1 : sizeOfVarint(keyLength) + keyLength) +
    (valueLength < 0 ? 1 : sizeOfVarint(valueLength) + valueLength) +
    headerBytes
  );
}

/** Whole size of a record in a batch: its length varint and its body. */
export function recordSize(bodySize: number): number {
  return sizeOfVarint(bodySize) + bodySize;
}

/** Writes one record (length varint included) at pos; returns the position after it. */
export function writeRecord(
  buf: Buffer,
  pos: number,
  bodySize: number,
  offsetDelta: number,
  timestampDelta: number,
  key: RecordBytes,
  keyLength: number,
  value: RecordBytes,
  valueLength: number,
  headers: readonly EncodedHeader[],
): number {
  pos = writeVarintAt(buf, pos, bodySize);
  buf[pos++] = 0; // record attributes: unused
  pos = writeVarlongAt(buf, pos, timestampDelta);
  pos = writeVarintAt(buf, pos, offsetDelta);
  pos = writeBytesField(buf, pos, key, keyLength);
  pos = writeBytesField(buf, pos, value, valueLength);
  pos = writeVarintAt(buf, pos, headers.length);
  for (const h of headers) {
    pos = writeBytesField(buf, pos, h.key, h.key.length);
    pos = writeBytesField(buf, pos, h.value, h.value === null ? -1 : h.value.length);
  }
  return pos;
}

function writeBytesField(buf: Buffer, pos: number, v: RecordBytes, length: number): number {
  pos = writeVarintAt(buf, pos, length);
  if (v === null) return pos;
  if (typeof v === 'string') buf.write(v, pos, length, 'utf8');
  else copyBytes(buf, pos, v);
  return pos + length;
}

export interface BatchHeaderFields {
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/**
 * Fills the 61-byte header of a batch whose records already follow it in
 * `batch`, then the CRC. `batch` is exactly the whole batch.
 */
export function sealBatch(batch: Buffer, h: BatchHeaderFields): void {
  batch.writeInt32BE(0, 0); // baseOffset: assigned by the broker
  batch.writeInt32BE(0, 4);
  batch.writeInt32BE(batch.length - BATCH_LOG_OVERHEAD, OFF_BATCH_LENGTH);
  batch.writeInt32BE(-1, OFF_LEADER_EPOCH);
  batch.writeInt8(2, OFF_MAGIC);
  batch.writeInt16BE(h.attributes, OFF_ATTRIBUTES);
  batch.writeInt32BE(h.lastOffsetDelta, OFF_LAST_OFFSET_DELTA);
  writeInt64At(batch, OFF_BASE_TIMESTAMP, h.baseTimestamp);
  writeInt64At(batch, OFF_MAX_TIMESTAMP, h.maxTimestamp);
  writeInt64At(batch, OFF_PRODUCER_ID, h.producerId);
  batch.writeInt16BE(h.producerEpoch, OFF_PRODUCER_EPOCH);
  batch.writeInt32BE(h.baseSequence, OFF_BASE_SEQUENCE);
  batch.writeInt32BE(h.recordCount, OFF_RECORDS_COUNT);
  batch.writeUInt32BE(crc32c(batch, OFF_ATTRIBUTES), OFF_CRC);
}

function writeInt64At(buf: Buffer, pos: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(v - hi * 4294967296, pos + 4);
}

export function batchAttributes(compression: CompressionType, transactional: boolean): number {
  return CODEC_ID[compression] | (transactional ? ATTR_TRANSACTIONAL : 0);
}

/**
 * A whole batch from records: what tests and simple callers use. The
 * accumulator builds batches incrementally with recordBodySize/writeRecord
 * and seals them with sealBatch.
 */
export function buildRecordBatch(records: readonly RecordInput[], opts: BatchOptions = {}): Buffer {
  const first = records[0];
  if (!first) throw new ProtocolError('a record batch needs at least one record');
  const compression = opts.compression ?? 'none';
  const baseTimestamp = first.timestamp;
  let maxTimestamp = baseTimestamp;
  const prepared = records.map((r, i) => {
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
    const headers = encodeHeaders(r.headers);
    const keyLength = bytesLength(r.key);
    const valueLength = bytesLength(r.value);
    const body = recordBodySize(i, r.timestamp - baseTimestamp, keyLength, valueLength, headersSize(headers));
    return { headers, keyLength, valueLength, body };
  });
  const recordsSize = prepared.reduce((sum, p) => sum + recordSize(p.body), 0);
  const body = Buffer.allocUnsafe(BATCH_HEADER_SIZE + recordsSize);
  let pos = BATCH_HEADER_SIZE;
  records.forEach((r, i) => {
    const p = prepared[i] as (typeof prepared)[number];
    pos = writeRecord(body, pos, p.body, i, r.timestamp - baseTimestamp, r.key, p.keyLength, r.value, p.valueLength, p.headers);
  });
  let batch = body;
  if (compression !== 'none') {
    const compressed = compress(compression, body.subarray(BATCH_HEADER_SIZE));
    batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length);
    compressed.copy(batch, BATCH_HEADER_SIZE);
  }
  sealBatch(batch, {
    attributes: batchAttributes(compression, opts.transactional ?? false),
    lastOffsetDelta: records.length - 1,
    baseTimestamp,
    maxTimestamp,
    producerId: opts.producerId ?? -1,
    producerEpoch: opts.producerEpoch ?? -1,
    baseSequence: opts.baseSequence ?? -1,
    recordCount: records.length,
  });
  return batch;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

export interface DecodedBatch extends Omit<BatchHeaderFields, 'attributes' | 'recordCount'> {
  baseOffset: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  crcValid: boolean;
  compression: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  transactional: boolean;
  control: boolean;
  records: DecodedRecord[];
}

/** Decodes consecutive batches (a Produce request's records field, or a log segment). */
export function decodeRecordBatches(buf: Buffer): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < BATCH_HEADER_SIZE) throw new ProtocolError(`truncated record batch header at offset ${at}`);
    const length = buf.readInt32BE(at + OFF_BATCH_LENGTH) + BATCH_LOG_OVERHEAD;
    if (at + length > buf.length) throw new ProtocolError(`record batch at offset ${at} claims ${length} bytes, ${buf.length - at} left`);
    out.push(decodeBatch(buf.subarray(at, at + length)));
    at += length;
  }
  return out;
}

function decodeBatch(batch: Buffer): DecodedBatch {
  const r = new Reader(batch);
  const baseOffset = r.int64();
  r.int32(); // batchLength, already used to slice
  const partitionLeaderEpoch = r.int32();
  const magic = r.int8();
  if (magic !== 2) throw new ProtocolError(`record batch magic ${magic} is not supported (only 2)`);
  const crc = r.uint32();
  const attributes = r.int16();
  const lastOffsetDelta = r.int32();
  const baseTimestamp = r.int64();
  const maxTimestamp = r.int64();
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const baseSequence = r.int32();
  const count = r.int32();
  const codec = attributes & 0x07;
  const records = decodeRecords(decompress(codec, batch.subarray(BATCH_HEADER_SIZE)), count, baseOffset, baseTimestamp);
  return {
    baseOffset,
    partitionLeaderEpoch,
    magic,
    crc,
    crcValid: crc === crc32c(batch, OFF_ATTRIBUTES),
    compression: codec,
    timestampType: attributes & ATTR_LOG_APPEND_TIME ? 'LogAppendTime' : 'CreateTime',
    transactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    control: (attributes & ATTR_CONTROL) !== 0,
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    records,
  };
}

/** Decodes `count` uncompressed records (the bytes after a batch header). */
export function decodeRecords(bytes: Buffer, count: number, baseOffset: number, baseTimestamp: number): DecodedRecord[] {
  const rr = new Reader(bytes);
  const records: DecodedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const length = rr.varint();
    const end = rr.pos + length;
    rr.int8(); // attributes
    const timestampDelta = rr.varlong();
    const offsetDelta = rr.varint();
    const key = nullableVarBytes(rr);
    const value = nullableVarBytes(rr);
    const headerCount = rr.varint();
    const headers: { key: string; value: Buffer | null }[] = [];
    for (let j = 0; j < headerCount; j++) {
      const k = nullableVarBytes(rr);
      if (k === null) throw new ProtocolError('record header key is null');
      headers.push({ key: k.toString('utf8'), value: nullableVarBytes(rr) });
    }
    if (rr.pos !== end) throw new ProtocolError(`record ${i} length ${length} does not match its fields`);
    records.push({ offset: baseOffset + offsetDelta, timestamp: baseTimestamp + timestampDelta, key, value, headers });
  }
  return records;
}

function nullableVarBytes(r: Reader): Buffer | null {
  const n = r.varint();
  return n < 0 ? null : r.raw(n);
}
