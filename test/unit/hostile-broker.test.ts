// One hostile answer from a broker, through the whole producer: a Produce
// response whose size prefix is above maxResponseSize, one whose body does not
// decode, one with another request's correlation id. Each closes the
// connection; the requests in flight on it fail retriably and their batches
// go again on a new connection, where the broker's duplicate check answers
// the ones it had written. Every record lands once, in order, and every send
// resolves with its offset.

import { describe, expect, it } from 'vitest';
import { KafkaProducer, type Logger } from 'kafka-producer-ts';
import { writingBroker } from '../support/fake-broker.js';

const TOPIC = 'hostile';
const MAX_RESPONSE_SIZE = 64 * 1024;
const RECORDS = 40;

function prefixed(body: Buffer, size = body.length): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(size, 0);
  return Buffer.concat([prefix, body]);
}

/** What the broker sends instead of its second Produce answer (the whole frame: size prefix, correlation id, body). */
const HOSTILE: [string, (answer: Buffer) => Buffer, RegExp][] = [
  // 1 MiB would pass the default bound (100 MiB): refusing it shows the option reached the connection.
  ['a size prefix above maxResponseSize', (answer) => prefixed(answer.subarray(4, 12), 1024 * 1024), /response of 1048576 bytes is larger than maxResponseSize \(65536\)/],
  ['a body that does not decode', (answer) => prefixed(answer.subarray(4, answer.length - 3)), /Produce v\d+ response from 127\.0\.0\.1:\d+ \(node 1\) is malformed at offset \d+/],
  [
    "another request's correlation id",
    (answer) => {
      const out = Buffer.from(answer);
      out.writeInt32BE(out.readInt32BE(4) + 1, 4);
      return out;
    },
    /response correlation id \d+, expected \d+/,
  ],
];

describe('a broker that sends one hostile answer', () => {
  it.each(HOSTILE)('%s: the connection closes, its batches go again, every record lands once and in order', async (_what, hostile, reason) => {
    const broker = await writingBroker([TOPIC], (n, answer) => (n === 1 ? hostile(answer) : null));
    const warnings: string[] = [];
    const logger: Logger = { debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: () => {} };
    // One record a batch, so the 40 records are many requests, five in flight when the second answer comes.
    const producer = new KafkaProducer({ bootstrapServers: `127.0.0.1:${broker.port}`, maxResponseSize: MAX_RESPONSE_SIZE, batchSize: 1, retryBackoffMs: 20, logger });
    try {
      const values = Array.from({ length: RECORDS }, (_, i) => `record ${i}`);
      const sent = await Promise.all(values.map((value) => producer.send({ topic: TOPIC, partition: 0, value })));
      expect(sent.map((m) => m.offset)).toEqual(values.map((_, i) => i));
      expect(broker.logs.get(TOPIC)?.values).toEqual(values);
      // The batch behind the hostile answer was written, sent again and answered as a duplicate.
      const retried = broker.sequences.filter((s, i) => broker.sequences.indexOf(s) !== i);
      expect(retried.length).toBeGreaterThan(0);
      expect(new Set(broker.sequences).size).toBe(RECORDS);
      expect(producer.metrics().retries).toBeGreaterThanOrEqual(retried.length);
      expect(warnings.some((w) => /corrupt stream/.test(w) && reason.test(w)), warnings.join('\n')).toBe(true);
    } finally {
      await producer.close();
      await broker.close();
    }
  });
});
