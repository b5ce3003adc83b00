// A transactional producer against the real broker whose EndTxn answers are
// lost on the way back, until the test says: the requests reach the broker
// (the coordinator acts on them), a wrapper around the real connections
// throws the answers away. A commit that timed out so is completed by
// calling commitTransaction() again: Kafka's coordinator answers an EndTxn
// repeated for a completed commit with NONE (under transactions v2 also
// when it carries the epoch from before the commit's bump). Issue 21
// finding 3.

import { afterEach, describe, expect, inject, it } from 'vitest';
import type { ProducerOptions, SenderConfig } from '../../src/config.js';
import { KafkaTimeoutError, TransactionStateError } from '../../src/errors.js';
import { Cluster } from '../../src/network/cluster.js';
import { RequestTimeoutError } from '../../src/network/errors.js';
import { KafkaProducer } from '../../src/producer.js';
import { SENDER_DEPS } from '../../src/sender/host.js';
import type { SenderConnection, Transport } from '../../src/sender/transport.js';
import { createTopic, kcatConsume, kcatConsumeAtLeast, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');
const producers: KafkaProducer[] = [];

afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.close({ timeoutMs: 10_000 })));
});

/** The real cluster, but while `lose.endTxn` holds, every EndTxn answer is thrown away (as if lost) after the broker acted on the request. */
function losingTransport(config: SenderConfig, lose: { endTxn: boolean; lost: number }): Transport {
  const cluster = new Cluster({ bootstrapServers: config.bootstrapServers, clientId: config.clientId, requestTimeoutMs: config.requestTimeoutMs });
  const wrap = (conn: SenderConnection): SenderConnection =>
    new Proxy(conn, {
      get(target, prop) {
        if (prop === 'request') {
          return async (...args: Parameters<SenderConnection['request']>) => {
            const res = await target.request(...args);
            if (args[0].name === 'EndTxn' && lose.endTxn) {
              lose.lost++;
              throw new RequestTimeoutError(target.broker, 'EndTxn', config.requestTimeoutMs);
            }
            return res;
          };
        }
        const v: unknown = Reflect.get(target, prop);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  return {
    get metadata() {
      return cluster.metadata;
    },
    connectionTo: async (nodeId, lane) => wrap(await cluster.connectionTo(nodeId, lane)),
    anyConnection: async () => wrap(await cluster.anyConnection()),
    refreshMetadata: (topics, allowAutoTopicCreation) => cluster.refreshMetadata(topics, allowAutoTopicCreation),
    close: () => cluster.close(),
  };
}

describe('a commit whose EndTxn answers are lost', () => {
  it('rejects with KafkaTimeoutError after maxBlockMs; commitTransaction() again completes it: read_committed sees its records once, and the next transaction commits', async () => {
    const topic = uniqueTopic('txn-lost-end');
    await createTopic(env.bootstrap, topic, 1);
    const lose = { endTxn: false, lost: 0 };
    const p = new KafkaProducer({
      bootstrapServers: env.bootstrap,
      transactionalId: uniqueTopic('txn-id'),
      worker: false,
      lingerMs: 1,
      maxBlockMs: 1500,
      retryBackoffMs: 100,
      retryBackoffMaxMs: 200,
      [SENDER_DEPS]: { transport: (config: SenderConfig) => losingTransport(config, lose) },
    } as ProducerOptions);
    producers.push(p);
    await p.initTransactions();
    p.beginTransaction();
    await p.send({ topic, value: 'first' });
    lose.endTxn = true;
    await expect(p.commitTransaction()).rejects.toBeInstanceOf(KafkaTimeoutError);
    expect(lose.lost).toBeGreaterThan(0);
    // The commit may have happened: aborting it is not allowed, completing it is.
    await expect(p.abortTransaction()).rejects.toBeInstanceOf(TransactionStateError);
    lose.endTxn = false;
    await p.commitTransaction();
    p.beginTransaction();
    await p.send({ topic, value: 'second' });
    await p.commitTransaction();
    const committed = await kcatConsumeAtLeast(env.bootstrap, topic, 2, 20_000, 'read_committed');
    expect(committed.map((m) => m.payload)).toEqual(['first', 'second']);
    expect((await kcatConsume(env.bootstrap, topic, 0, 'read_uncommitted')).map((m) => m.payload)).toEqual(['first', 'second']);
  });
});
