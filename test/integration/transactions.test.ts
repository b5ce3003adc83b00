// The transaction APIs at the protocol level, in the order a transactional
// producer uses them (transactions protocol v1: AddPartitionsToTxn before the
// first Produce, so Produce stays at v11 or lower). Kafka's console consumer
// with read_committed is the judge of what was committed and what aborted.
// Under v2, what the simulator's fake coordinator assumes of EndTxn.

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Cluster } from '../../src/network/cluster.js';
import type { Connection } from '../../src/network/connection.js';
import { AddOffsetsToTxn } from '../../src/protocol/apis/add-offsets-to-txn.js';
import { AddPartitionsToTxn } from '../../src/protocol/apis/add-partitions-to-txn.js';
import { EndTxn } from '../../src/protocol/apis/end-txn.js';
import { COORDINATOR_GROUP, COORDINATOR_TRANSACTION, FindCoordinator } from '../../src/protocol/apis/find-coordinator.js';
import { InitProducerId } from '../../src/protocol/apis/init-producer-id.js';
import { Produce } from '../../src/protocol/apis/produce.js';
import { TxnOffsetCommit } from '../../src/protocol/apis/txn-offset-commit.js';
import { KafkaResponseError } from '../../src/protocol/errors.js';
import { buildRecordBatch } from '../../src/protocol/record-batch.js';
import { consoleConsume, createTopic, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');
/** Coordinator errors that only mean "not ready yet": retry after a pause. */
const NOT_READY = new Set([14, 15, 16, 51]);

async function untilReady<T extends { errorCode: number }>(what: string, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const res = await call();
    if (res.errorCode === 0) return res;
    if (!NOT_READY.has(res.errorCode) || attempt > 300) throw new KafkaResponseError(res.errorCode, what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let cluster: Cluster;

/**
 * EndTxn v5 and TxnOffsetCommit v5 mean transactions protocol v2 (partitions
 * added by the broker itself); this flow adds partitions itself, so it stays
 * at v4 as the Java client does without transaction.version 2.
 */
function txnV1Version(conn: Connection, api: typeof EndTxn | typeof TxnOffsetCommit): number {
  return Math.min(conn.versionFor(api), 4);
}

beforeAll(() => {
  cluster = new Cluster({ bootstrapServers: env.bootstrap, clientId: 'txn-test' });
});

afterAll(async () => {
  await cluster.close();
});

async function coordinator(key: string, keyType: number): Promise<Connection> {
  const any = await cluster.anyConnection();
  const res = await untilReady(`FindCoordinator ${key}`, async () => {
    const r = await any.request(FindCoordinator, { key, keyType, coordinatorKeys: [key] });
    const c = r.coordinators?.[0] ?? { errorCode: r.errorCode ?? -1, nodeId: r.nodeId ?? -1 };
    return { errorCode: c.errorCode, nodeId: c.nodeId };
  });
  await cluster.refreshMetadata([], false);
  return cluster.connectionTo(res.nodeId);
}

describe('a transaction through the protocol layer', () => {
  it.skipIf(!env.libsDir)('commits one transaction and aborts another; read_committed sees only the first', async () => {
    const topic = uniqueTopic('txn');
    const txnId = uniqueTopic('txn-id');
    const groupId = uniqueTopic('txn-group');
    await createTopic(env.bootstrap, topic, 1);
    const txnCoord = await coordinator(txnId, COORDINATOR_TRANSACTION);
    const init = await untilReady('InitProducerId', () => txnCoord.request(InitProducerId, { transactionalId: txnId, transactionTimeoutMs: 60_000 }));
        const md = await cluster.refreshMetadata([topic], false);
    const leader = await cluster.connectionTo(md.leaderFor(topic, 0)?.nodeId ?? -1);
    const produceVersion = Math.min(leader.versionFor(Produce), 11);
    let sequence = 0;

    const runTransaction = async (values: string[], commit: boolean, withOffsets: boolean) => {
      const added = await untilReady('AddPartitionsToTxn', async () => {
        const r = await txnCoord.request(AddPartitionsToTxn, {
          v3AndBelowTransactionalId: txnId,
          v3AndBelowProducerId: init.producerId,
          v3AndBelowProducerEpoch: init.producerEpoch,
          v3AndBelowTopics: [{ name: topic, partitions: [0] }],
        });
        return { errorCode: r.resultsByTopicV3AndBelow[0]?.resultsByPartition[0]?.partitionErrorCode ?? -1 };
      });
      expect(added.errorCode).toBe(0);
      const batch = buildRecordBatch(
        values.map((v, i) => ({ key: null, value: Buffer.from(v), timestamp: Date.now() + i })),
        { producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: sequence, transactional: true, compression: 'lz4' },
      );
      sequence += values.length;
      const produced = await leader.request(
        Produce,
        { transactionalId: txnId, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] },
        { version: produceVersion },
      );
      expect(produced.responses[0]?.partitionResponses[0]?.errorCode).toBe(0);
      if (withOffsets) {
        const addOffsets = await untilReady('AddOffsetsToTxn', () =>
          txnCoord.request(AddOffsetsToTxn, { transactionalId: txnId, producerId: init.producerId, producerEpoch: init.producerEpoch, groupId }),
        );
        expect(addOffsets.errorCode).toBe(0);
        const groupCoord = await coordinator(groupId, COORDINATOR_GROUP);
        const committed = await untilReady('TxnOffsetCommit', async () => {
          const r = await groupCoord.request(TxnOffsetCommit, {
            transactionalId: txnId,
            groupId,
            producerId: init.producerId,
            producerEpoch: init.producerEpoch,
            topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 42, committedMetadata: null }] }],
          }, { version: txnV1Version(groupCoord, TxnOffsetCommit) });
          return { errorCode: r.topics[0]?.partitions[0]?.errorCode ?? -1 };
        });
        expect(committed.errorCode).toBe(0);
      }
      await untilReady('EndTxn', () =>
        txnCoord.request(
          EndTxn,
          { transactionalId: txnId, producerId: init.producerId, producerEpoch: init.producerEpoch, committed: commit },
          { version: txnV1Version(txnCoord, EndTxn) },
        ),
      );
    };

    await runTransaction(['committed-1', 'committed-2'], true, true);
    await runTransaction(['aborted-1'], false, false);
    await runTransaction(['committed-3'], true, false);

    expect(await consoleConsume(env, topic, 3, 'read_committed')).toEqual(['committed-1', 'committed-2', 'committed-3']);
    expect(await consoleConsume(env, topic, 4, 'read_uncommitted')).toEqual(['committed-1', 'committed-2', 'aborted-1', 'committed-3']);
  });
});

// What the fake coordinator of the simulator models (test/support/fake-cluster/txn-coordinator.ts): while the markers of a
// transaction just ended are written, Kafka answers an EndTxn of the next one, at the epoch the commit returned,
// CONCURRENT_TRANSACTIONS (retriable), never INVALID_TXN_STATE or PRODUCER_FENCED; once they are written the abort bumps again.
describe('transactions v2 at the coordinator', () => {
  it.skipIf(!env.libsDir)('an EndTxn(abort) right after a v2 EndTxn(commit), at the epoch it returned, waits for the markers, then bumps the epoch', async (ctx) => {
    const topic = uniqueTopic('txn-v2-race');
    const txnId = uniqueTopic('txn-v2-race-id');
    const groupId = uniqueTopic('txn-v2-race-group');
    await createTopic(env.bootstrap, topic, 1);
    const txnCoord = await coordinator(txnId, COORDINATOR_TRANSACTION);
    if ((txnCoord.finalizedFeatures?.get('transaction.version') ?? 0) < 2 || txnCoord.versionFor(EndTxn) < 5) return ctx.skip();
    const groupCoord = await coordinator(groupId, COORDINATOR_GROUP);
    let { producerId, producerEpoch } = await untilReady('InitProducerId', () => txnCoord.request(InitProducerId, { transactionalId: txnId, transactionTimeoutMs: 60_000 }));
    const firstAnswers: number[] = [];
    for (let round = 0; round < 5; round++) {
      // TxnOffsetCommit v5 adds the group to the transaction itself (KIP-890 part 2): the transaction is open.
      const offsets = await groupCoord.request(
        TxnOffsetCommit,
        { transactionalId: txnId, groupId, producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: round + 1, committedMetadata: null }] }] },
        { version: 5 },
      );
      expect(offsets.topics[0]?.partitions[0]?.errorCode).toBe(0);
      const commit = await txnCoord.request(EndTxn, { transactionalId: txnId, producerId, producerEpoch, committed: true }, { version: 5 });
      expect(commit).toMatchObject({ errorCode: 0, producerId, producerEpoch: producerEpoch + 1 });
      producerEpoch = commit.producerEpoch;
      const abortAt = () => txnCoord.request(EndTxn, { transactionalId: txnId, producerId, producerEpoch, committed: false }, { version: 5 });
      const first = await abortAt();
      firstAnswers.push(first.errorCode);
      const aborted = first.errorCode === 0 ? first : await untilReady('EndTxn(abort)', abortAt);
      expect(aborted).toMatchObject({ errorCode: 0, producerId, producerEpoch: producerEpoch + 1 });
      producerEpoch = aborted.producerEpoch;
    }
    // 51 while the markers are written (every time here: the second request follows the first answer at once), 0 had they been written already.
    for (const code of firstAnswers) expect([0, 51]).toContain(code);
  });
});
