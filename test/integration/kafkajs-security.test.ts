// kafkajs's connection cases of src/producer/index.spec.js ('support SSL
// connections', 'support SASL <mechanism> connections', 'throws an error if
// SASL <mechanism> fails to authenticate') against kafka-producer-ts/kafkajs,
// on the security tests' own broker (test/support/secure-broker.ts), whose
// listeners take TLS and each SASL mechanism. Beyond kafkajs's cases, each
// connection also sends a record, read back with kcat.

import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { Kafka, logLevel, type KafkaConfig, type Producer, type SASLOptions } from 'kafka-producer-ts/kafkajs';
import { createTopic, kcatConsume, uniqueTopic } from '../support/kafka-tools.js';
import { startSecureBroker, USERS, type SecureBroker } from '../support/secure-broker.js';

const env = inject('kafka');
const producers: Producer[] = [];

/** An unsecured JWT (alg "none"), which the broker's default OAUTHBEARER validator takes while `exp` is ahead. */
function unsecuredJwt(sub: string, ttlSeconds: number): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none' })}.${part({ sub, iat: now, exp: now + ttlSeconds })}.`;
}

function newProducer(config: Omit<KafkaConfig, 'clientId'>): Producer {
  const producer = new Kafka({ clientId: 'kafkajs-spec', logLevel: logLevel.NOTHING, ...config }).producer();
  producers.push(producer);
  return producer;
}

afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.disconnect()));
});

describe.skipIf(env.libsDir === null)('Producer connections (kafkajs index.spec.js)', () => {
  let broker: SecureBroker;
  let topic: string;

  beforeAll(async () => {
    broker = await startSecureBroker(env.version, inject('runnerPid'));
    topic = uniqueTopic('kafkajs-secure');
    await createTopic(broker.plaintext, topic, 1);
  }, 240_000);

  /** Sends one record and finds it on the topic (read over the plaintext listener). */
  async function delivered(producer: Producer): Promise<void> {
    const value = `kafkajs-${randomBytes(4).toString('hex')}`;
    await producer.send({ topic, messages: [{ value }] });
    const read = await kcatConsume(broker.plaintext, topic);
    expect(read.map((m) => m.payload)).toContain(value);
  }

  it('support SSL connections', async () => {
    const producer = newProducer({ brokers: [broker.ssl], ssl: { ca: [broker.tls.ca], servername: 'localhost' } });
    await producer.connect();
    await delivered(producer);
  });

  const entries: { name: string; sasl: () => SASLOptions; wrong?: SASLOptions; expectedErr?: RegExp }[] = [
    {
      name: 'PLAIN',
      sasl: () => ({ mechanism: 'plain', ...USERS.plain }),
      wrong: { mechanism: 'plain', username: USERS.plain.username, password: 'wrong' },
      expectedErr: /SASL PLAIN authentication failed/,
    },
    {
      name: 'SCRAM 256',
      sasl: () => ({ mechanism: 'scram-sha-256', ...USERS.scram }),
      wrong: { mechanism: 'scram-sha-256', username: USERS.scram.username, password: 'wrong' },
      expectedErr: /SASL SCRAM SHA256 authentication failed/,
    },
    {
      name: 'SCRAM 512',
      sasl: () => ({ mechanism: 'scram-sha-512', ...USERS.scram }),
      wrong: { mechanism: 'scram-sha-512', username: USERS.scram.username, password: 'wrong' },
      expectedErr: /SASL SCRAM SHA512 authentication failed/,
    },
    { name: 'OAUTHBEARER', sasl: () => ({ mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: unsecuredJwt('kafkajs', 600) }) }) },
  ];

  for (const e of entries) {
    it(`support SASL ${e.name} connections`, async () => {
      const producer = newProducer({ brokers: [broker.sasl], sasl: e.sasl() });
      await producer.connect();
      await delivered(producer);
    });

    const { wrong, expectedErr } = e;
    if (wrong && expectedErr) {
      it(`throws an error if SASL ${e.name} fails to authenticate`, async () => {
        const producer = newProducer({ brokers: [broker.sasl], sasl: wrong });
        await expect(producer.connect()).rejects.toThrow(expectedErr);
        await expect(producer.connect()).rejects.toMatchObject({ name: 'KafkaJSSASLAuthenticationError', retriable: false });
      });
    }
  }
});
