// The errors a user gets when brokers cannot be reached, never answer or
// close the connection, through send() with the sender on a worker thread
// and on the main thread: the same classes, codes, brokers, retriable flags
// and cause chains either way, down to Node's own system error. Local TCP
// servers play the misbehaving brokers; no Kafka broker is needed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BootstrapError,
  ConnectionClosedError,
  ConnectionError,
  ConnectionRefusedError,
  KafkaProducer,
  KafkaResponseError,
  KafkaTimeoutError,
  RequestTimeoutError,
  type ProducerOptions,
} from 'kafka-producer-ts';
import { closingServer, fakeBroker, silentServer, unusedPort, type TestServer } from '../support/fake-broker.js';

const TOPIC = 'errors-topic';

/** Sends one record that must fail; returns what the promise rejected with. */
async function failure(options: ProducerOptions): Promise<Error> {
  const producer = new KafkaProducer(options);
  try {
    const md = await producer.send({ topic: TOPIC, value: 'v' });
    throw new Error(`expected a failure, the record was delivered at offset ${md.offset}`);
  } catch (err) {
    return err as Error;
  } finally {
    await producer.close({ timeoutMs: 0 });
  }
}

/** The same failure with the sender on a worker thread and on the main thread. */
async function onBothHosts(options: ProducerOptions): Promise<[Error, Error]> {
  return [await failure({ ...options, worker: true }), await failure({ ...options, worker: false })];
}

/**
 * What a user can see of an error and its causes: class, own fields, and the
 * message with numbers blanked (elapsed times and correlation ids vary).
 */
function shape(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  return {
    class: (Object.getPrototypeOf(err) as object).constructor.name,
    fields: { ...err },
    message: err.message.replace(/\d+ ms has passed/g, 'N ms has passed').replace(/correlation id \d+/g, 'correlation id N'),
    hasStack: typeof err.stack === 'string',
    cause: 'cause' in err ? shape(err.cause) : 'none',
  };
}

/** The chain from the error to its deepest cause. */
function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err; e !== undefined; e = e instanceof Error ? e.cause : undefined) out.push(e);
  return out;
}

describe('errors are the same with the sender on a worker thread or on the main thread', () => {
  it('connection refused: KafkaTimeoutError <- BootstrapError <- ConnectionRefusedError (naming the broker) <- ECONNREFUSED', async () => {
    const port = await unusedPort();
    const errors = await onBothHosts({ bootstrapServers: `127.0.0.1:${port}`, maxBlockMs: 1000, retryBackoffMs: 50 });
    for (const err of errors) {
      const [timeout, boot, refused, system] = chain(err);
      expect(timeout).toBeInstanceOf(KafkaTimeoutError);
      expect(timeout).toMatchObject({ code: 'KPT_ERR_TIMEOUT', message: expect.stringContaining(`Topic ${TOPIC} not present in metadata after 1000 ms`) });
      expect(boot).toBeInstanceOf(BootstrapError);
      expect(refused).toBeInstanceOf(ConnectionRefusedError);
      expect(refused).toBeInstanceOf(ConnectionError);
      expect(refused).toMatchObject({ code: 'KPT_ERR_CONNECTION_REFUSED', broker: `127.0.0.1:${port}`, retriable: true });
      expect(system).toBeInstanceOf(Error);
      expect(system).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port });
    }
    expect(shape(errors[0])).toEqual(shape(errors[1]));
  });

  describe('servers that misbehave', () => {
    let silent: TestServer;
    let closing: TestServer;

    beforeAll(async () => {
      silent = await silentServer();
      closing = await closingServer();
    });

    afterAll(async () => {
      await silent.close();
      await closing.close();
    });

    it('a server that never answers: ... <- BootstrapError <- RequestTimeoutError naming the broker', async () => {
      const errors = await onBothHosts({ bootstrapServers: `127.0.0.1:${silent.port}`, maxBlockMs: 1000, requestTimeoutMs: 200, retryBackoffMs: 50 });
      for (const err of errors) {
        const [timeout, boot, requestTimeout, deeper] = chain(err);
        expect(timeout).toBeInstanceOf(KafkaTimeoutError);
        expect(boot).toBeInstanceOf(BootstrapError);
        expect(requestTimeout).toBeInstanceOf(RequestTimeoutError);
        expect(requestTimeout).toMatchObject({
          code: 'KPT_ERR_REQUEST_TIMEOUT',
          broker: `127.0.0.1:${silent.port}`,
          retriable: true,
          message: expect.stringMatching(/^ApiVersions v\d+ \(correlation id 0\) got no response within 200 ms/),
        });
        expect(deeper).toBeUndefined();
      }
      expect(shape(errors[0])).toEqual(shape(errors[1]));
    });

    it('a server that closes the connection: ... <- BootstrapError <- ConnectionClosedError naming the broker', async () => {
      const errors = await onBothHosts({ bootstrapServers: `127.0.0.1:${closing.port}`, maxBlockMs: 1000, retryBackoffMs: 50 });
      for (const err of errors) {
        const [timeout, boot, closed] = chain(err);
        expect(timeout).toBeInstanceOf(KafkaTimeoutError);
        expect(boot).toBeInstanceOf(BootstrapError);
        expect(closed).toBeInstanceOf(ConnectionClosedError);
        expect(closed).toMatchObject({ code: 'KPT_ERR_CONNECTION_CLOSED', broker: `127.0.0.1:${closing.port}`, retriable: true });
        expect((closed as Error).message).toContain('the broker closed the connection');
      }
      expect(shape(errors[0])).toEqual(shape(errors[1]));
    });
  });

  describe('delivery failures keep the last error as the cause', () => {
    const options = { enableIdempotence: false, lingerMs: 0, requestTimeoutMs: 300, deliveryTimeoutMs: 1000, retryBackoffMs: 50, retryBackoffMaxMs: 100 };

    it.each([
      ['never answered', 'hang', RequestTimeoutError, 'KPT_ERR_REQUEST_TIMEOUT', /; last error: Produce v12 \(correlation id \d+\) got no response within 300 ms/],
      ['answered by closing the connection', 'close', ConnectionClosedError, 'KPT_ERR_CONNECTION_CLOSED', /; last error: connection closed: the broker closed the connection/],
    ] as const)('Produce %s: KafkaTimeoutError (Expiring ...) <- the last attempt\'s error, naming the leader', async (_what, behaviour, cls, code, lastError) => {
      const broker = await fakeBroker([TOPIC], behaviour);
      try {
        const errors = await onBothHosts({ ...options, bootstrapServers: `127.0.0.1:${broker.port}` });
        for (const err of errors) {
          const [timeout, last] = chain(err);
          expect(timeout).toBeInstanceOf(KafkaTimeoutError);
          expect((timeout as Error).message).toMatch(new RegExp(`^Expiring 1 record\\(s\\) for ${TOPIC}-0: \\d+ ms has passed since batch creation \\(deliveryTimeoutMs 1000\\)`));
          expect((timeout as Error).message).toMatch(lastError);
          expect(last).toBeInstanceOf(cls);
          expect(last).toMatchObject({ code, broker: `127.0.0.1:${broker.port} (node 1)`, retriable: true });
        }
        expect(shape(errors[0])).toEqual(shape(errors[1]));
      } finally {
        await broker.close();
      }
    });
  });

  describe('a topic the cluster refuses for good', () => {
    it.each([
      [29, 'TOPIC_AUTHORIZATION_FAILED'],
      [17, 'INVALID_TOPIC_EXCEPTION'],
    ])('Metadata answering %i (%s) fails the send at once, not after maxBlockMs', async (code, name) => {
      const broker = await fakeBroker([TOPIC], 'hang', { refused: code });
      try {
        for (const worker of [true, false]) {
          const producer = new KafkaProducer({ bootstrapServers: `127.0.0.1:${broker.port}`, worker, maxBlockMs: 120_000 });
          try {
            const err = await Promise.resolve(producer.send({ topic: 'refused', value: 'v' })).then(
              () => null,
              (e: unknown) => e,
            );
            // maxBlockMs (two minutes) is longer than the test may take: only an at-once failure passes.
            expect(err).toBeInstanceOf(KafkaResponseError);
            expect(err).toMatchObject({ errorCode: code, errorName: name, retriable: false });
            expect(producer.metrics().recordsWaiting).toBe(0);
          } finally {
            await producer.close();
          }
        }
      } finally {
        await broker.close();
      }
    });
  });
});
