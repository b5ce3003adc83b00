// kafkajs's checks on a send, in its order and with its messages, and its
// message shape turned into our ProducerRecord: only the fields kafkajs
// knows are read (kafkajs ignores the others), headers with array values
// become repeated headers, and the string timestamp a number.

import type { HeaderValue, ProducerRecord } from '../record.js';
import { KafkaJSNonRetriableError, protocolError } from './errors.js';
import type { IHeaders, Message, TopicMessages } from './types.js';

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

/** kafkajs's checks of a sendBatch() (send() is a sendBatch of one), before anything is sent. */
export function checkBatch(topicMessages: readonly TopicMessages[], acks: number, idempotent: boolean): void {
  if (!Array.isArray(topicMessages)) throw new KafkaJSNonRetriableError(`Invalid topicMessages: expected an array of { topic, messages }, got ${typeof topicMessages}`);
  if (topicMessages.some((t) => !t?.topic)) throw new KafkaJSNonRetriableError('Invalid topic');
  if (idempotent && acks !== -1) throw new KafkaJSNonRetriableError("Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees");
  if (acks !== -1 && acks !== 0 && acks !== 1) throw new KafkaJSNonRetriableError(`Invalid acks ${String(acks)}: use -1 (all replicas), 1 (the leader) or 0 (no acknowledgement)`);
  for (const { topic, messages } of topicMessages) {
    if (!messages) throw new KafkaJSNonRetriableError(`Invalid messages array [${String(messages)}] for topic "${topic}"`);
    const withoutValue = messages.find((m: Message | undefined) => m?.value === undefined);
    if (withoutValue) throw new KafkaJSNonRetriableError(`Invalid message without value for topic "${topic}": ${JSON.stringify(withoutValue)}`);
  }
  // kafkajs learns this from the broker; the answer is the same, before any request.
  for (const { topic } of topicMessages) {
    if (typeof topic !== 'string' || !LEGAL_TOPIC.test(topic) || topic === '.' || topic === '..') throw protocolError(17, 'INVALID_TOPIC_EXCEPTION', false);
  }
}

function headers(h: IHeaders): ProducerRecord['headers'] {
  let list: { key: string; value: HeaderValue }[] | null = null;
  for (const key in h) {
    if (Array.isArray(h[key])) {
      list = [];
      break;
    }
  }
  if (list === null) return h as Record<string, HeaderValue>;
  for (const [key, value] of Object.entries(h)) {
    if (Array.isArray(value)) for (const v of value) list.push({ key, value: v });
    else list.push({ key, value: value ?? null });
  }
  return list;
}

/**
 * The record for a message. `timestamp`: the send's time, for messages
 * without one; `partition`: the partitioner's choice or the message's own,
 * or undefined to let the producer choose.
 */
export function toRecord(topic: string, m: Message, timestamp: number, partition: number | undefined): ProducerRecord {
  return {
    topic,
    key: m.key ?? null,
    value: m.value,
    headers: m.headers === undefined || m.headers === null ? undefined : headers(m.headers),
    partition,
    timestamp: m.timestamp === undefined || m.timestamp === null ? timestamp : Number(m.timestamp),
  };
}
