// A ProducerRecord checked and turned into what the accumulator writes:
// key and value through the serializers (strings stay strings and are
// written as UTF-8 in place, without an intermediate buffer), headers with
// encoded keys, a timestamp, and the sizes the batch needs.

import type { Bytes, ProducerConfig } from './config.js';

type AnySerializer = NonNullable<ProducerConfig['keySerializer']>;
import { InvalidRecordError, SerializationError } from './errors.js';
import type { PreparedRecord } from './accumulator/record-accumulator.js';
import { BATCH_HEADER_SIZE, bytesLength, encodeHeaders, headersSize, recordBodySize, recordSize, type EncodedHeader, type RecordBytes } from './protocol/record-batch.js';

/** A header's value: a string (written as UTF-8), bytes, or null. */
export type HeaderValue = string | Uint8Array | null;

/**
 * What send() takes: one record. Fields other than these are refused (InvalidRecordError);
 * `value` is required (null for a tombstone).
 */
export interface ProducerRecord<K = Bytes, V = Bytes> {
  topic: string;
  key?: K | null;
  value: V | null;
  /** An object of name to value, or a list when names repeat or order matters. */
  headers?: Record<string, HeaderValue> | readonly { key: string; value: HeaderValue }[];
  /** Unset or null: chosen by the partitioner. */
  partition?: number | null;
  /** Milliseconds since the epoch; unset or null: now. */
  timestamp?: number | null;
}

function defaultSerialize(what: 'key' | 'value', v: unknown): RecordBytes {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || v instanceof Uint8Array) return v;
  throw new SerializationError(
    `record ${what} must be a string, a Buffer/Uint8Array or null, got ${Array.isArray(v) ? 'an array' : typeof v}; pass a ${what}Serializer (e.g. (v) => JSON.stringify(v)) to send other types`,
  );
}

function serialize(what: 'key' | 'value', serializer: AnySerializer | null, v: unknown, topic: string): RecordBytes {
  if (!serializer) return defaultSerialize(what, v);
  let out: unknown;
  try {
    out = serializer(v, topic);
  } catch (err) {
    throw new SerializationError(`the ${what}Serializer threw for a record to topic ${topic}: ${(err as Error).message}`, err);
  }
  if (out === null || out === undefined || typeof out === 'string' || out instanceof Uint8Array) return out ?? null;
  throw new SerializationError(`the ${what}Serializer must return a string, a Buffer/Uint8Array or null, got ${typeof out}`);
}

const NO_HEADERS: EncodedHeader[] = [];

function headerList(headers: ProducerRecord<unknown, unknown>['headers']): { key: string; value: Uint8Array | null }[] {
  const list = Array.isArray(headers)
    ? (headers as readonly { key: string; value: HeaderValue }[])
    : typeof headers === 'object' && headers !== null
      ? Object.entries(headers as Record<string, HeaderValue>).map(([key, value]) => ({ key, value }))
      : null;
  if (!list) throw new InvalidRecordError('record headers must be an object of name to value or a list of { key, value }');
  return list.map((h) => {
    if (typeof h?.key !== 'string') throw new InvalidRecordError('every record header needs a string key');
    const v = h.value;
    if (v === null || v === undefined) return { key: h.key, value: null };
    if (typeof v === 'string') return { key: h.key, value: Buffer.from(v, 'utf8') };
    if (v instanceof Uint8Array) return { key: h.key, value: v };
    throw new InvalidRecordError(`record header "${h.key}" must have a string, Buffer/Uint8Array or null value`);
  });
}

export interface CheckedRecord extends PreparedRecord {
  topic: string;
  partition: number | undefined;
  /** Batch bytes this record needs on its own (header included): the size limits apply to it. */
  soloSize: number;
}

/** A bad value as the message shows it: strings quoted, so "0" and 0 differ. */
function shown(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/**
 * Refuses a field send() does not know, which plain JavaScript would
 * otherwise drop silently (a kafkajs-style { topic, messages } was one empty
 * record). for...in over a literal's few keys with a switch on interned
 * strings costs little per send; inherited keys are looked up only when one
 * is unknown.
 */
export function checkFields(record: object, what = 'record'): void {
  for (const field in record) {
    switch (field) {
      case 'topic':
      case 'key':
      case 'value':
      case 'headers':
      case 'partition':
      case 'timestamp':
        continue;
      default:
        if (Object.hasOwn(record, field)) throw unknownField(field, what);
    }
  }
}

function unknownField(field: string, what: string): InvalidRecordError {
  if (field === 'messages') {
    return new InvalidRecordError(
      `${what} has a field "messages": send() takes one record per call ({ topic, key?, value, headers?, partition?, timestamp? }); call it once per message, or import { Kafka } from 'kafka-producer-ts/kafkajs' for kafkajs's send({ topic, messages })`,
    );
  }
  return new InvalidRecordError(`${what} has an unknown field ${JSON.stringify(field)}: a record has only topic, key, value, headers, partition and timestamp`);
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

/** The last topic name found legal: most sends go to the topic of the send before, and need no regular expression. */
let lastLegalTopic = '';

/** Kafka's rule for topic names, checked before any network call. */
function checkTopicName(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string' || topic === '') throw new InvalidRecordError('record topic must be a non-empty string');
  if (topic === lastLegalTopic) return;
  if (!LEGAL_TOPIC.test(topic) || topic === '.' || topic === '..') {
    const shown = topic.length > 60 ? `${JSON.stringify(topic.slice(0, 60))}... (${topic.length} characters)` : JSON.stringify(topic);
    throw new InvalidRecordError(`record topic ${shown} is not a legal Kafka topic name: use 1 to 249 characters of a-z, A-Z, 0-9, '.', '_' and '-' (and not "." or "..")`);
  }
  lastLegalTopic = topic;
}

/** Validates and serializes; throws InvalidRecordError or SerializationError naming what is wrong. */
export function checkRecord(record: ProducerRecord<unknown, unknown>, keySerializer: AnySerializer | null, valueSerializer: AnySerializer | null, now: number): CheckedRecord {
  if (typeof record !== 'object' || record === null) throw new InvalidRecordError('send() takes a record object: { topic, key?, value, headers?, partition?, timestamp? }');
  checkFields(record);
  // null means "not set", as in the Java client.
  const { topic } = record;
  const partition = record.partition ?? undefined;
  const timestamp = record.timestamp ?? undefined;
  checkTopicName(topic);
  if (partition !== undefined && (!Number.isInteger(partition) || partition < 0)) {
    throw new InvalidRecordError(`record partition must be a non-negative integer, got ${shown(partition)}`);
  }
  if (timestamp !== undefined && (!Number.isSafeInteger(timestamp) || timestamp < 0)) {
    throw new InvalidRecordError(`record timestamp must be milliseconds since the epoch (a non-negative integer), got ${shown(timestamp)}`);
  }
  if (record.value === undefined) {
    throw new InvalidRecordError(`record to topic ${topic} has no value: give one, or value: null for a tombstone (a deletion marker on compacted topics)`);
  }
  const key = serialize('key', keySerializer, record.key, topic);
  const value = serialize('value', valueSerializer, record.value, topic);
  // Most records have no headers: share one empty list instead of allocating two.
  const headers = record.headers === undefined ? NO_HEADERS : encodeHeaders(headerList(record.headers));
  const keyLength = bytesLength(key);
  const valueLength = bytesLength(value);
  const headerBytes = headersSize(headers);
  return {
    topic,
    partition,
    key,
    keyLength,
    value,
    valueLength,
    headers,
    headerBytes,
    timestamp: timestamp ?? now,
    soloSize: BATCH_HEADER_SIZE + recordSize(recordBodySize(0, 0, keyLength, valueLength, headerBytes)),
  };
}
