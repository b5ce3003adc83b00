// A catalogue of bad input to the constructor and to send(), with the sender
// on a worker thread and on the main thread: every case gets a typed error
// that names the problem, and none raises an uncaught exception or an
// unhandled rejection (both are armed to fail the test). The table it prints
// lists each case with the error it got.

import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  BufferExhaustedError,
  ConfigError,
  InvalidRecordError,
  KafkaProducer,
  KafkaTimeoutError,
  ProducerClosedError,
  SerializationError,
  type ProducerOptions,
} from 'kafka-producer-ts';
import { createTopic, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');
type ErrorClass = abstract new (...args: never[]) => Error;

const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);
const table: string[] = [];

beforeAll(() => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
});

afterAll(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/bad-inputs.txt', table.join('\n') + '\n');
});

function row(host: string, name: string, err: unknown): void {
  const e = err as Error;
  table.push(`${host.padEnd(6)} | ${name.padEnd(58)} | ${e?.name ?? String(err)}: ${e?.message ?? ''}`);
}

const constructorCases: [string, unknown, ErrorClass, RegExp][] = [
  ['no options', undefined, ConfigError, /options object/],
  ['null options', null, ConfigError, /options object/],
  ['a string for options', '127.0.0.1:9092', ConfigError, /options object/],
  ['bootstrapServers missing', {}, ConfigError, /bootstrapServers: is required/],
  ['bootstrapServers "localhost" (no port)', { bootstrapServers: 'localhost' }, ConfigError, /"localhost" is not "host:port"/],
  ['bootstrapServers port 99999', { bootstrapServers: '127.0.0.1:99999' }, ConfigError, /port 99999; a port is 1 to 65535/],
  ['bootstrapServers port 0', { bootstrapServers: '127.0.0.1:0' }, ConfigError, /a port is 1 to 65535/],
  ['bootstrapServers empty string', { bootstrapServers: ' ' }, ConfigError, /bootstrapServers/],
  ['bootstrapServers empty list', { bootstrapServers: [] }, ConfigError, /bootstrapServers/],
  ['bootstrapServers list of numbers', { bootstrapServers: [9092] }, ConfigError, /bootstrapServers/],
  ['bootstrapServers IPv6 without brackets', { bootstrapServers: '::1:9092' }, ConfigError, /in brackets/],
  ['bootstrapServers port not a number', { bootstrapServers: 'host:port' }, ConfigError, /not "host:port"/],
  ['unknown option (lingerMS)', { bootstrapServers: '127.0.0.1:9092', lingerMS: 5 }, ConfigError, /lingerMS: is not a producer option/],
  ['acks 2', { bootstrapServers: '127.0.0.1:9092', acks: 2 }, ConfigError, /acks/],
  ['lingerMs -1', { bootstrapServers: '127.0.0.1:9092', lingerMs: -1 }, ConfigError, /lingerMs: must be between/],
  ['batchSize 0', { bootstrapServers: '127.0.0.1:9092', batchSize: 0 }, ConfigError, /batchSize/],
  ['bufferMemory a string', { bootstrapServers: '127.0.0.1:9092', bufferMemory: 'big' }, ConfigError, /bufferMemory: must be an integer/],
  ['connectionsPerBroker 0', { bootstrapServers: '127.0.0.1:9092', connectionsPerBroker: 0 }, ConfigError, /connectionsPerBroker: must be between 1 and 16, got 0/],
  ['connectionsPerBroker 17', { bootstrapServers: '127.0.0.1:9092', connectionsPerBroker: 17 }, ConfigError, /connectionsPerBroker: must be between 1 and 16, got 17/],
  ['maxInFlight 6 with idempotence (default)', { bootstrapServers: '127.0.0.1:9092', maxInFlightRequestsPerConnection: 6 }, ConfigError, /more than 5/],
  ['enableIdempotence true with acks 1', { bootstrapServers: '127.0.0.1:9092', enableIdempotence: true, acks: 1 }, ConfigError, /conflicts with acks=1/],
  ['compressionType brotli', { bootstrapServers: '127.0.0.1:9092', compressionType: 'brotli' }, ConfigError, /compressionType/],
  ['partitioner a number', { bootstrapServers: '127.0.0.1:9092', partitioner: 42 }, ConfigError, /partitioner/],
  ['keySerializer a string', { bootstrapServers: '127.0.0.1:9092', keySerializer: 'json' }, ConfigError, /keySerializer: must be a function/],
  ['deliveryTimeoutMs below linger + request timeout', { bootstrapServers: '127.0.0.1:9092', deliveryTimeoutMs: 1000 }, ConfigError, /deliveryTimeoutMs/],
  ['bufferMemory below batchSize', { bootstrapServers: '127.0.0.1:9092', bufferMemory: 2048, batchSize: 4096 }, ConfigError, /bufferMemory/],
  ['maxBatchSize below batchSize', { bootstrapServers: '127.0.0.1:9092', batchSize: 32768, maxBatchSize: 16384 }, ConfigError, /maxBatchSize: must be at least batchSize \(32768\), got 16384/],
  ['maxBatchSize above maxRequestSize', { bootstrapServers: '127.0.0.1:9092', maxBatchSize: 2_000_000 }, ConfigError, /maxBatchSize: must be at most maxRequestSize \(1048576\), got 2000000/],
  ['maxBatchSize a string', { bootstrapServers: '127.0.0.1:9092', maxBatchSize: '1 MiB' }, ConfigError, /maxBatchSize: must be an integer/],
  ['worker "yes"', { bootstrapServers: '127.0.0.1:9092', worker: 'yes' }, ConfigError, /worker: must be true or false/],
  ['retries 1.5', { bootstrapServers: '127.0.0.1:9092', retries: 1.5 }, ConfigError, /retries: must be an integer/],
  ['requestTimeoutMs NaN', { bootstrapServers: '127.0.0.1:9092', requestTimeoutMs: Number.NaN }, ConfigError, /requestTimeoutMs/],
  ['clientId a number', { bootstrapServers: '127.0.0.1:9092', clientId: 42 }, ConfigError, /clientId: must be a string/],
  ['transactionalId empty', { bootstrapServers: '127.0.0.1:9092', transactionalId: '' }, ConfigError, /transactionalId: must be a non-empty string/],
  ['transactionalId with enableIdempotence false', { bootstrapServers: '127.0.0.1:9092', transactionalId: 't', enableIdempotence: false }, ConfigError, /enableIdempotence: false conflicts with transactionalId: a transactional producer is idempotent/],
  ['transactionalId with acks 1', { bootstrapServers: '127.0.0.1:9092', transactionalId: 't', acks: 1 }, ConfigError, /transactionalId: makes the producer idempotent, which conflicts with acks=1/],
  ['transactionTimeoutMs 0', { bootstrapServers: '127.0.0.1:9092', transactionalId: 't', transactionTimeoutMs: 0 }, ConfigError, /transactionTimeoutMs: must be between 1/],
];

describe('bad input to the constructor', () => {
  it.each(constructorCases)('%s: a ConfigError naming it', (name, options, cls, message) => {
    let caught: unknown = null;
    try {
      new KafkaProducer(options as ProducerOptions);
    } catch (err) {
      caught = err;
    }
    row('both', name, caught);
    expect(caught).toBeInstanceOf(cls);
    expect(String((caught as Error).message)).toMatch(message);
  });
});

describe.each([
  ['worker', true],
  ['main', false],
])('bad input to send() with the sender on the %s thread', (host, worker) => {
  let topic: string;
  let producer: KafkaProducer<unknown, unknown>;

  beforeAll(async () => {
    topic = uniqueTopic(`bad-${host}`);
    await createTopic(env.bootstrap, topic, 2);
    producer = new KafkaProducer<unknown, unknown>({ bootstrapServers: env.bootstrap, worker, maxRequestSize: 100_000 });
  });

  afterAll(async () => {
    await producer.close();
  });

  const sendCases: [string, () => unknown, ErrorClass, RegExp][] = [
    ['send(undefined)', () => undefined, InvalidRecordError, /takes a record object/],
    ['send(null)', () => null, InvalidRecordError, /takes a record object/],
    ['send("a string")', () => 'value', InvalidRecordError, /takes a record object/],
    ['topic missing', () => ({ value: 'v' }), InvalidRecordError, /topic must be a non-empty string/],
    ['topic empty', () => ({ topic: '', value: 'v' }), InvalidRecordError, /topic must be a non-empty string/],
    ['topic with illegal characters', () => ({ topic: 'a b/c', value: 'v' }), InvalidRecordError, /not a legal Kafka topic name/],
    ['topic of 250 characters', () => ({ topic: 't'.repeat(250), value: 'v' }), InvalidRecordError, /not a legal Kafka topic name/],
    ['kafkajs-style { topic, messages }', () => ({ topic, messages: [{ value: 'v' }] }), InvalidRecordError, /field "messages": send\(\) takes one record per call.*kafka-producer-ts\/kafkajs/],
    ['an unknown field (valu)', () => ({ topic, valu: 'v' }), InvalidRecordError, /unknown field "valu"/],
    ['an unknown field beside a value', () => ({ topic, value: 'v', acks: 'all' }), InvalidRecordError, /unknown field "acks"/],
    ['value missing', () => ({ topic, key: 'k' }), InvalidRecordError, /has no value: give one, or value: null for a tombstone/],
    ['value undefined', () => ({ topic, value: undefined }), InvalidRecordError, /has no value/],
    ['value a plain object', () => ({ topic, value: { a: 1 } }), SerializationError, /valueSerializer/],
    ['value a number', () => ({ topic, value: 7 }), SerializationError, /valueSerializer/],
    ['key an object', () => ({ topic, key: {}, value: 'v' }), SerializationError, /keySerializer/],
    ['partition -1', () => ({ topic, value: 'v', partition: -1 }), InvalidRecordError, /partition must be a non-negative integer/],
    ['partition 1.5', () => ({ topic, value: 'v', partition: 1.5 }), InvalidRecordError, /partition must be a non-negative integer/],
    ['partition "0"', () => ({ topic, value: 'v', partition: '0' }), InvalidRecordError, /partition must be a non-negative integer/],
    ['timestamp -5', () => ({ topic, value: 'v', timestamp: -5 }), InvalidRecordError, /timestamp must be milliseconds/],
    ['timestamp "now"', () => ({ topic, value: 'v', timestamp: 'now' }), InvalidRecordError, /timestamp must be milliseconds/],
    ['headers a string', () => ({ topic, value: 'v', headers: 'x' }), InvalidRecordError, /headers must be an object/],
    ['header with a numeric key', () => ({ topic, value: 'v', headers: [{ key: 1, value: 'x' }] }), InvalidRecordError, /string key/],
    ['header with a numeric value', () => ({ topic, value: 'v', headers: { h: 5 } }), InvalidRecordError, /header "h" must have/],
    ['record larger than maxRequestSize', () => ({ topic, value: 'x'.repeat(200_000) }), InvalidRecordError, /larger than maxRequestSize/],
  ];

  it.each(sendCases)('%s: a typed error, no uncaught exception', async (name, make, cls, message) => {
    const err = await Promise.resolve(producer.send(make() as never)).then(
      () => null,
      (e: unknown) => e,
    );
    row(host, name, err);
    expect(err).toBeInstanceOf(cls);
    expect(String((err as Error).message)).toMatch(message);
  });

  it('a tombstone (value: null) and fields inherited from a prototype are accepted; a stream refuses unknown fields too', async () => {
    expect((await producer.send({ topic, key: 'k', value: null })).offset).toBeGreaterThanOrEqual(0);
    const inherited = Object.assign(Object.create({ note: 'from a prototype' }) as object, { topic, value: 'v' });
    expect((await producer.send(inherited as never)).offset).toBeGreaterThanOrEqual(0);
    const stream = producer.writable({ topic });
    const failed = new Promise<unknown>((resolve) => stream.on('error', resolve));
    stream.write({ value: 'v', messages: [] });
    const err = await failed;
    row(host, 'producer.writable() given { value, messages }', err);
    expect(err).toBeInstanceOf(InvalidRecordError);
    expect(String((err as Error).message)).toMatch(/a record written to producer.writable\(\) has a field "messages"/);
  });

  it('serializers and partitioners that throw or return nonsense fail their record only', async () => {
    const cases: [string, Partial<ProducerOptions<unknown, unknown>>, ErrorClass, RegExp][] = [
      ['a valueSerializer that throws', { valueSerializer: () => { throw new Error('boom'); } }, SerializationError, /valueSerializer threw .*boom/],
      ['a valueSerializer that returns a number', { valueSerializer: () => 5 as never }, SerializationError, /must return a string/],
      ['a partitioner that throws', { partitioner: () => { throw new Error('nope'); } }, InvalidRecordError, /partitioner threw .*nope/],
      ['a partitioner that returns 99', { partitioner: () => 99 }, InvalidRecordError, /partitioner returned 99/],
    ];
    for (const [name, extra, cls, message] of cases) {
      const p = new KafkaProducer<unknown, unknown>({ ...extra, bootstrapServers: env.bootstrap, worker });
      try {
        const err = await Promise.resolve(p.send({ topic, value: 'v' })).then(
          () => null,
          (e: unknown) => e,
        );
        row(host, name, err);
        expect(err).toBeInstanceOf(cls);
        expect(String((err as Error).message)).toMatch(message);
      } finally {
        await p.close();
      }
    }
    // The shared producer still delivers after all of that.
    expect((await producer.send({ topic, value: 'still fine' })).offset).toBeGreaterThanOrEqual(0);
  });

  it('an unreachable cluster, a throwing callback, a full buffer and a closed producer', async () => {
    const unreachable = new KafkaProducer({ bootstrapServers: '127.0.0.1:1', worker, maxBlockMs: 600 });
    const err1 = await Promise.resolve(unreachable.send({ topic, value: 'v' })).then(
      () => null,
      (e: unknown) => e,
    );
    row(host, 'bootstrap server with nothing listening', err1);
    expect(err1).toBeInstanceOf(KafkaTimeoutError);
    expect(String((err1 as Error).message)).toMatch(/not present in metadata after 600 ms/);
    await unreachable.close();

    const settled: (Error | null)[] = [];
    producer.send({ topic, value: 'a' }, () => {
      throw new Error('callback bug');
    });
    await new Promise<void>((resolve) => producer.send({ topic, value: 'b' }, (err) => (settled.push(err), resolve())));
    table.push(`${host.padEnd(6)} | ${'a send callback that throws'.padEnd(58)} | no uncaught exception; the next record settled with ${String(settled[0])}`);
    expect(settled).toEqual([null]);

    const small = new KafkaProducer({ bootstrapServers: '127.0.0.1:1', worker, batchSize: 1024, bufferMemory: 2048, maxBlockMs: 60_000 });
    const fills = Array.from({ length: 6 }, () => small.send({ topic, value: Buffer.alloc(900) }));
    const err2 = await Promise.resolve(fills[5]).then(
      () => null,
      (e: unknown) => e,
    );
    row(host, 'send past the waiting-bytes bound', err2);
    expect(err2).toBeInstanceOf(BufferExhaustedError);
    await small.close({ timeoutMs: 0 });
    const closedOutcomes = await Promise.allSettled(fills.slice(0, 5));
    expect(closedOutcomes.every((o) => o.status === 'rejected')).toBe(true);

    const closed = new KafkaProducer({ bootstrapServers: env.bootstrap, worker });
    await closed.close();
    const err3 = await Promise.resolve(closed.send({ topic, value: 'v' })).then(
      () => null,
      (e: unknown) => e,
    );
    row(host, 'send after close()', err3);
    expect(err3).toBeInstanceOf(ProducerClosedError);
    // Give any stray exception a turn of the event loop to surface.
    await new Promise((r) => setTimeout(r, 50));
    expect(uncaught).toEqual([]);
  });
});
