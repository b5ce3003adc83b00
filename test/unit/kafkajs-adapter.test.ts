// kafka-producer-ts/kafkajs without a broker: kafkajs's partitioners
// (checked against kafkajs's own, installed as a devDependency), its checks
// and messages, the error mapping, logging, options, and the per-partition
// results. The broker-backed proof is test/integration/kafkajs-*.test.ts.

import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import {
  CompressionTypes,
  Kafka,
  KafkaJSNonRetriableError,
  Partitioners,
  logLevel,
  type LogEntry,
  type PartitionMetadata,
} from 'kafka-producer-ts/kafkajs';
import { ConfigError, KafkaResponseError, KafkaTimeoutError, partitionForKey } from 'kafka-producer-ts';
import { legacyMurmur2 } from '../../src/kafkajs/legacy-murmur2.js';
import { checkBatch, toRecord } from '../../src/kafkajs/messages.js';
// The classes these modules throw, as loaded from src (the package's are the same classes from dist).
import { KafkaJSError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, toKafkaJSError } from '../../src/kafkajs/errors.js';
// From src too: a subclass of ours from dist is not an instance of its src parent class.
import { AuthenticationError } from '../../src/errors.js';
import { SendCall } from '../../src/kafkajs/results.js';

const require = createRequire(import.meta.url);
type KafkajsPartitioner = () => (args: { topic: string; partitionMetadata: PartitionMetadata[]; message: { key?: unknown; value: unknown; partition?: number } }) => number;
const kafkajs = require('kafkajs') as { Partitioners: { LegacyPartitioner: KafkajsPartitioner; DefaultPartitioner: KafkajsPartitioner } };

const layout = (n: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({ length: n }, (_, i) => ({ partitionErrorCode: 0, partitionId: i, leader: leaderless.includes(i) ? -1 : 1, replicas: [1], isr: [1] }));

/** A logger that records what it is given, at every level. */
function recordingKafka(extra: object = {}): { kafka: Kafka; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const kafka = new Kafka({ brokers: ['127.0.0.1:1'], logLevel: logLevel.DEBUG, logCreator: () => (e) => entries.push(e), ...extra });
  return { kafka, entries };
}

describe('LegacyPartitioner: kafkajs 1.x hash', () => {
  // Printed by kafkajs 2.2.4's src/producer/partitioners/legacy/murmur2.js for these keys.
  const VECTORS: [string, number][] = [
    ['', 275646684],
    ['a', -809885833],
    ['ab', -1686076413],
    ['abc', 1545667907],
    ['abcd', -2139815384],
    ['abcde', 1468550417],
    ['key-0', -1297093795],
    ['key-123456', -466260375],
    ['hello world', 1620997181],
    ['\u00e9t\u00e9', -1737070610],
    ['kafka-producer-ts', 1187845531],
    ['0123456789abcdef0', 1288122767],
  ];

  it.each(VECTORS)('hashes %j as kafkajs 1.x did', (key, hash) => {
    expect(legacyMurmur2(Buffer.from(key))).toBe(hash);
  });

  it('hashes bytes as kafkajs 1.x did, and differs from Java murmur2', () => {
    expect(legacyMurmur2(Buffer.from([0xff, 0x00, 0x80, 0x7f, 0xfe]))).toBe(464446813);
    expect(partitionForKey(Buffer.from('a'), 1000)).not.toBe((-809885833 & 0x7fffffff) % 1000);
  });

  it('puts 2000 random keys on the partitions kafkajs LegacyPartitioner picks', () => {
    const ours = Partitioners.LegacyPartitioner();
    const theirs = kafkajs.Partitioners.LegacyPartitioner();
    for (let i = 0; i < 2000; i++) {
      const bytes = randomBytes(i % 40);
      const key = i % 2 === 0 ? bytes : bytes.toString('hex');
      const partitionMetadata = layout(1 + (i % 17));
      const args = { topic: 't', partitionMetadata, message: { key, value: null } };
      expect(ours(args), `key ${bytes.toString('hex')}`).toBe(theirs(args));
    }
  });
});

describe('DefaultPartitioner: Java murmur2 as kafkajs 2.x', () => {
  it('puts 2000 random keys where kafkajs DefaultPartitioner and the Java hash put them', () => {
    const ours = Partitioners.DefaultPartitioner();
    const theirs = kafkajs.Partitioners.DefaultPartitioner();
    for (let i = 0; i < 2000; i++) {
      const key = randomBytes(i % 40);
      const partitionMetadata = layout(1 + (i % 17));
      const args = { topic: 't', partitionMetadata, message: { key, value: null } };
      expect(ours(args)).toBe(theirs(args));
      expect(ours(args)).toBe(partitionForKey(key, partitionMetadata.length));
    }
  });

  it('takes an explicit partition first, and goes round-robin over partitions with a leader for keyless messages', () => {
    const partition = Partitioners.DefaultPartitioner();
    const partitionMetadata = layout(4, [1]);
    expect(partition({ topic: 't', partitionMetadata, message: { key: 'k', value: null, partition: 3 } })).toBe(3);
    const picks = Array.from({ length: 6 }, () => partition({ topic: 't', partitionMetadata, message: { value: 'v' } }));
    expect(new Set(picks)).toEqual(new Set([0, 2, 3]));
    // Consecutive picks step through [0, 2, 3] in order.
    const order = [0, 2, 3];
    for (let i = 1; i < picks.length; i++) expect(order.indexOf(picks[i] as number)).toBe((order.indexOf(picks[i - 1] as number) + 1) % 3);
  });
});

describe("kafkajs's checks on a send", () => {
  const msg = (value: unknown) => ({ topic: 't', messages: [{ value }] as never[] });

  it('says what kafkajs says', () => {
    expect(() => checkBatch([{ topic: null, messages: [] } as never], -1, false)).toThrow(new KafkaJSNonRetriableError('Invalid topic'));
    expect(() => checkBatch([{ topic: 't', messages: null } as never], -1, false)).toThrow('Invalid messages array [null] for topic "t"');
    expect(() => checkBatch([{ topic: 't', messages: [{ foo: 'bar' }] } as never], -1, false)).toThrow('Invalid message without value for topic "t": {"foo":"bar"}');
    expect(() => checkBatch([msg('v')], 1, true)).toThrow("Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees");
    expect(() => checkBatch([msg(null)], -1, false)).not.toThrow();
  });

  it('refuses an illegal topic name as the broker would, with INVALID_TOPIC_EXCEPTION', () => {
    let thrown: unknown;
    try {
      checkBatch([{ topic: 'orders)(*&^%', messages: [] }], -1, false);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(KafkaJSProtocolError);
    expect(thrown).toMatchObject({ type: 'INVALID_TOPIC_EXCEPTION', code: 17, retriable: false, message: 'The request attempted to perform an operation on an invalid topic' });
  });

  it('turns a message into a record: known fields only, array headers repeated, string timestamps as numbers', () => {
    const record = toRecord('t', { key: 'k', value: 'v', headers: { a: ['1', '2'], b: 'c' }, timestamp: '1700000000000', foo: 'bar' } as never, 5, undefined);
    expect(record).toEqual({
      topic: 't',
      key: 'k',
      value: 'v',
      headers: [
        { key: 'a', value: '1' },
        { key: 'a', value: '2' },
        { key: 'b', value: 'c' },
      ],
      partition: undefined,
      timestamp: 1700000000000,
    });
    expect(toRecord('t', { value: null }, 5, 2)).toEqual({ topic: 't', key: null, value: null, headers: undefined, partition: 2, timestamp: 5 });
  });
});

describe('results in kafkajs shape', () => {
  const md = (partition: number, offset: number, timestamp = 100) => ({ topic: 't', partition, offset, timestamp });

  it('gives one entry per partition with its lowest offset, as strings', async () => {
    const call = new SendCall(-1, 100);
    for (const m of [md(1, 7), md(0, 3), md(1, 5), md(0, 4)]) {
      call.added();
      call.callback(null, m);
    }
    call.closed();
    expect(await call.promise).toEqual([
      { topicName: 't', partition: 1, errorCode: 0, baseOffset: '5', logAppendTime: '-1', logStartOffset: '-1' },
      { topicName: 't', partition: 0, errorCode: 0, baseOffset: '3', logAppendTime: '-1', logStartOffset: '-1' },
    ]);
  });

  it("reports the broker's append time when it differs from the create time the call gave", async () => {
    const call = new SendCall(-1, 100);
    call.added();
    call.callback(null, md(0, 0, 250));
    call.closed();
    expect((await call.promise)[0]?.logAppendTime).toBe('250');
  });

  it('gives [] for acks 0, and fails with the first error once every record settled', async () => {
    const zero = new SendCall(0, 1);
    zero.added();
    zero.callback(null, md(0, -1));
    zero.closed();
    expect(await zero.promise).toEqual([]);
    const failing = new SendCall(-1, 1);
    failing.added();
    failing.added();
    failing.callback(new KafkaResponseError(17, 'Produce'));
    failing.closed();
    let settled = false;
    void failing.promise.catch(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    failing.callback(null, md(0, 1));
    await expect(failing.promise).rejects.toMatchObject({ name: 'KafkaJSProtocolError', type: 'INVALID_TOPIC_EXCEPTION' });
  });
});

describe('errors by kafkajs class names', () => {
  it('maps ours with retriable and the original as cause', () => {
    const response = new KafkaResponseError(6, 'Produce to t-0');
    expect(toKafkaJSError(response)).toMatchObject({ name: 'KafkaJSProtocolError', type: 'NOT_LEADER_OR_FOLLOWER', code: 6, retriable: true, cause: response });
    const timeout = new KafkaTimeoutError('Expiring 1 record(s)');
    const mapped = toKafkaJSError(timeout);
    expect(mapped).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded);
    expect(mapped).toMatchObject({ retriable: false, cause: timeout, message: 'Expiring 1 record(s)' });
    expect(toKafkaJSError(new ConfigError('acks', 'bad'))).toMatchObject({ name: 'KafkaJSNonRetriableError', retriable: false });
    expect(new KafkaJSError('x').retriable).toBe(true);
  });

  it("names a refused SASL login as kafkajs does, and a failed TLS handshake as a connection error", () => {
    const scram = toKafkaJSError(new AuthenticationError('b:1', 'SCRAM-SHA-256', 'SASL SCRAM-SHA-256 authentication failed: invalid credentials'));
    expect(scram).toMatchObject({ name: 'KafkaJSSASLAuthenticationError', retriable: false });
    expect(scram.message).toMatch(/SASL SCRAM SHA256 authentication failed: invalid credentials/);
    expect(toKafkaJSError(new AuthenticationError('b:1', 'TLS', 'TLS handshake failed'))).toMatchObject({ name: 'KafkaJSConnectionError' });
  });
});

describe('logging', () => {
  it("writes kafkajs's entries through logCreator, filtered by level, with namespaces", () => {
    const entries: LogEntry[] = [];
    const kafka = new Kafka({ brokers: ['h:1'], logLevel: logLevel.WARN, logCreator: () => (e) => entries.push(e) });
    const producer = kafka.producer();
    producer.logger().info('not shown');
    producer.logger().warn('shown', { extra: 1 });
    kafka.logger().error('root');
    expect(entries.map((e) => [e.namespace, e.label, e.log.message, e.log.logger])).toEqual([
      ['Producer', 'WARN', 'shown', 'kafkajs'],
      ['', 'ERROR', 'root', 'kafkajs'],
    ]);
    expect(entries[0]?.log).toMatchObject({ extra: 1 });
  });

  it('lets KAFKAJS_LOG_LEVEL win over logLevel', () => {
    vi.stubEnv('KAFKAJS_LOG_LEVEL', 'debug');
    try {
      const entries: LogEntry[] = [];
      const kafka = new Kafka({ brokers: ['h:1'], logLevel: logLevel.ERROR, logCreator: () => (e) => entries.push(e) });
      kafka.logger().debug('shown');
      expect(entries).toHaveLength(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('options', () => {
  it("refuses what cannot be honoured with kafkajs's or our own message", () => {
    expect(() => new Kafka({ brokers: ['h:1'], socketFactory: () => null })).toThrow(/socketFactory is not supported/);
    expect(() => new Kafka({ brokers: ['h:1'], sasl: { mechanism: 'aws', authorizationIdentity: 'a', accessKeyId: 'b', secretAccessKey: 'c' } })).toThrow(/'aws' is not supported/);
    const { kafka } = recordingKafka();
    expect(() => kafka.producer({ idempotent: true, retry: { retries: 0 } })).toThrow(new KafkaJSNonRetriableError('Idempotent producer must allow retries to protect against transient errors'));
    expect(() => kafka.producer({ idempotent: true, maxInFlightRequests: 6 })).toThrow(/more than 5/);
    expect(() => kafka.consumer()).toThrow(/producer only/);
  });

  it('warns through the logger about each option it does not use', () => {
    const { kafka, entries } = recordingKafka({ authenticationTimeout: 1000, enforceRequestTimeout: false });
    kafka.producer({ retry: { factor: 0.5, multiplier: 3 }, allowAutoTopicCreation: false, bogus: 1 } as never);
    const warned = entries.filter((e) => e.label === 'WARN').map((e) => e.log['option']);
    expect(warned).toEqual(['authenticationTimeout', 'enforceRequestTimeout', 'bogus', 'allowAutoTopicCreation', 'retry.factor', 'retry.multiplier']);
  });

  it('says whether the producer is idempotent: by default yes, unless turned off or retries are 0', () => {
    const { kafka } = recordingKafka();
    expect(kafka.producer().isIdempotent()).toBe(true);
    expect(kafka.producer({ idempotent: false }).isIdempotent()).toBe(false);
    expect(kafka.producer({ retry: { retries: 0 } }).isIdempotent()).toBe(false);
    expect(kafka.producer({ maxInFlightRequests: 10 }).isIdempotent()).toBe(false);
  });
});

describe('the producer before connect()', () => {
  it("refuses sends, unknown events and transactions without an id, with kafkajs's messages", async () => {
    const { kafka } = recordingKafka();
    const producer = kafka.producer();
    await expect(producer.send({ topic: 't', messages: [{ key: 'k', value: 'v' }] })).rejects.toThrow(/The producer is disconnected/);
    expect(() => producer.on('NON_EXISTENT_EVENT' as never, () => {})).toThrow(/Event name should be one of producer.events./);
    await expect(producer.transaction()).rejects.toThrow('Must provide transactional id for transactional producer');
    await expect(producer.send({ topic: 't', compression: 9 as CompressionTypes, messages: [] })).rejects.toThrow(/The producer is disconnected/);
  });

  it('connect() fails naming a bad option, and fails when no broker answers', async () => {
    const { kafka } = recordingKafka({ ssl: { ca: 'x', checkServerIdentity: () => undefined } });
    await expect(kafka.producer().connect()).rejects.toMatchObject({ name: 'KafkaJSNonRetriableError', message: expect.stringMatching(/ssl\.checkServerIdentity/) });
    // Port 1 on this host: refused at once.
    const { kafka: nobody } = recordingKafka({ connectionTimeout: 1000 });
    const producer = nobody.producer();
    await expect(producer.connect()).rejects.toMatchObject({ name: 'KafkaJSConnectionError', retriable: true, message: expect.stringMatching(/no bootstrap server answered/) });
    await expect(producer.send({ topic: 't', messages: [{ value: 'v' }] })).rejects.toThrow(/The producer is disconnected/);
  });

  it('warns when a listener subscribes to a network event it will never get', () => {
    const { kafka, entries } = recordingKafka();
    const producer = kafka.producer();
    const remove = producer.on(producer.events.REQUEST, () => {});
    expect(entries.some((e) => e.label === 'WARN' && e.log.message.includes('producer.network.request is never emitted'))).toBe(true);
    remove();
  });
});

describe('the layering', () => {
  it('keeps the rest of src/ free of imports of the adapter', () => {
    const src = fileURLToPath(new URL('../../src/', import.meta.url));
    const offenders = (readdirSync(src, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.startsWith(`kafkajs${path.sep}`))
      // Import and export statements only: an error message may name the adapter's import for the user.
      .filter((f) => /^\s*(?:import|export|\})[^\n]*from '(?:[./]*\/?kafkajs\/|\.\/kafkajs|kafka-producer-ts\/kafkajs')/m.test(readFileSync(path.join(src, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
