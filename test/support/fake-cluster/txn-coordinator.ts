// The transaction coordinator of the fake cluster: a model of Kafka's
// TransactionCoordinator (handleInitProducerId, handleAddPartitionsToTransaction,
// handleEndTransaction) over TransactionMetadata (txn-state.ts), with the
// broker's partition verification (KIP-890 part 1) and transactions v2's
// implicit adds and per-EndTxn epoch bump (KIP-890 part 2). Markers go to
// the partitions (and the group coordinator) a few virtual milliseconds
// after the Prepare state is logged, as the marker channel does; meanwhile
// the transactional id answers CONCURRENT_TRANSACTIONS.

import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../../../src/protocol/apis/add-offsets-to-txn.js';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../../../src/protocol/apis/add-partitions-to-txn.js';
import type { EndTxnRequest, EndTxnResponse } from '../../../src/protocol/apis/end-txn.js';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../../src/protocol/apis/init-producer-id.js';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../../src/protocol/apis/txn-offset-commit.js';
import type { FakeGroupCoordinator } from './group-coordinator.js';
import { TransactionMetadata } from './txn-state.js';

const NONE = 0;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const INVALID_PRODUCER_EPOCH = 47;
const INVALID_TXN_STATE = 48;
const INVALID_PRODUCER_ID_MAPPING = 49;
const CONCURRENT_TRANSACTIONS = 51;
const OPERATION_NOT_ATTEMPTED = 55;
const PRODUCER_FENCED = 90;

/** What the coordinator needs of the cluster around it. */
export interface CoordinatorWorld {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  partitionExists(key: string): boolean;
  /** Writes the marker to partition "topic-p". */
  writeMarker(key: string, producerId: number, epoch: number, commit: boolean): void;
  readonly groups: FakeGroupCoordinator;
  newProducerId(): number;
  /** How long the markers of an ended transaction take. */
  markerDelayMs(): number;
  /** The first epoch a new transactional id gets (the simulator starts some near the limit). */
  firstEpoch(): number;
}

const GROUP = 'group:';

export class FakeTransactionCoordinator {
  readonly #world: CoordinatorWorld;
  readonly txns = new Map<string, TransactionMetadata>();
  /** Transactions the coordinator aborted because they outlived transactionTimeoutMs (the producer was fenced). */
  timedOut = 0;

  constructor(world: CoordinatorWorld) {
    this.#world = world;
  }

  initProducerId(req: InitProducerIdRequest): InitProducerIdResponse {
    const answer = (errorCode: number, m?: TransactionMetadata): InitProducerIdResponse => ({
      throttleTimeMs: 0,
      errorCode,
      producerId: m && errorCode === NONE ? m.producerId : -1,
      producerEpoch: m && errorCode === NONE ? m.epoch : -1,
      ongoingTxnProducerId: -1,
      ongoingTxnProducerEpoch: -1,
    });
    const id = req.transactionalId as string;
    let m = this.txns.get(id);
    if (!m) {
      m = new TransactionMetadata(id, this.#world.newProducerId(), this.#world.firstEpoch(), req.transactionTimeoutMs);
      this.txns.set(id, m);
      return answer(NONE, m);
    }
    const pid = req.producerId ?? -1;
    const epoch = req.producerEpoch ?? -1;
    if (pid >= 0) {
      // KIP-360: a bump names the id and epoch it holds; the retry of a bump whose answer was lost gets the bumped one again.
      const current = pid === m.producerId && epoch === m.epoch;
      const retried = (pid === m.producerId || pid === m.lastProducerId) && epoch === m.lastEpoch && m.state !== 'Ongoing';
      if (retried) return answer(NONE, m);
      if (!current) return answer(PRODUCER_FENCED);
    }
    switch (m.state) {
      case 'PrepareCommit':
      case 'PrepareAbort':
      case 'PrepareEpochFence':
        return answer(CONCURRENT_TRANSACTIONS);
      case 'Ongoing':
        // An older instance's transaction is open: fence it (bump the epoch), abort it, and have the caller ask again.
        this.#fence(m);
        return answer(CONCURRENT_TRANSACTIONS);
      case 'Dead':
        return answer(CONCURRENT_TRANSACTIONS);
      default:
        m.bumpEpoch(() => this.#world.newProducerId());
        m.timeoutMs = req.transactionTimeoutMs;
        m.transitionTo('Empty');
        return answer(NONE, m);
    }
  }

  addPartitions(req: AddPartitionsToTxnRequest): AddPartitionsToTxnResponse {
    const keys = req.v3AndBelowTopics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p, key: `${t.name}-${p}` })));
    const code = this.#check(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch);
    const unknown = keys.filter((k) => !this.#world.partitionExists(k.key));
    const codeFor = (k: { key: string }) => (code !== NONE ? code : unknown.length === 0 ? NONE : unknown.some((u) => u.key === k.key) ? UNKNOWN_TOPIC_OR_PARTITION : OPERATION_NOT_ATTEMPTED);
    if (code === NONE && unknown.length === 0) this.#add(this.txns.get(req.v3AndBelowTransactionalId) as TransactionMetadata, keys.map((k) => k.key));
    return {
      throttleTimeMs: 0,
      resultsByTopicV3AndBelow: req.v3AndBelowTopics.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: codeFor({ key: `${t.name}-${p}` }) })),
      })),
    } as AddPartitionsToTxnResponse;
  }

  addOffsets(req: AddOffsetsToTxnRequest): AddOffsetsToTxnResponse {
    const code = this.#check(req.transactionalId, req.producerId, req.producerEpoch);
    if (code === NONE) this.#add(this.txns.get(req.transactionalId) as TransactionMetadata, [GROUP + req.groupId]);
    return { throttleTimeMs: 0, errorCode: code };
  }

  /**
   * TxnOffsetCommit at the group coordinator: the offsets wait for the
   * marker. v5+ (transactions v2) adds the group to the transaction itself;
   * below, the group must have been added (AddOffsetsToTxn), which the
   * broker verifies.
   */
  txnOffsetCommit(req: TxnOffsetCommitRequest, version: number): TxnOffsetCommitResponse {
    const m = this.txns.get(req.transactionalId);
    let code = NONE;
    if (!m || m.producerId !== req.producerId || m.epoch !== req.producerEpoch) code = INVALID_PRODUCER_EPOCH;
    else if (version >= 5) code = this.#check(req.transactionalId, req.producerId, req.producerEpoch);
    else if (m.state !== 'Ongoing' || !m.partitions.has(GROUP + req.groupId)) code = INVALID_TXN_STATE;
    if (code === NONE && m) {
      if (version >= 5) this.#add(m, [GROUP + req.groupId]);
      this.#world.groups.stage(
        req.groupId,
        req.producerId,
        req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset }))),
      );
    }
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })) };
  }

  endTxn(req: EndTxnRequest, version: number): EndTxnResponse {
    const m = this.txns.get(req.transactionalId);
    const answer = (errorCode: number): EndTxnResponse => ({
      throttleTimeMs: 0,
      errorCode,
      producerId: m && errorCode === NONE ? m.producerId : -1,
      producerEpoch: m && errorCode === NONE ? m.epoch : -1,
    });
    if (!m) return answer(INVALID_PRODUCER_ID_MAPPING);
    const commit = req.committed;
    const v2 = version >= 5;
    m.v2 = v2;
    const sameId = req.producerId === m.producerId || (v2 && req.producerId === m.lastProducerId);
    if (!sameId) return answer(INVALID_PRODUCER_ID_MAPPING);
    // While the markers are written Kafka holds the Complete state pending, and any EndTxn, whatever its outcome, is
    // CONCURRENT_TRANSACTIONS; under v2 before the epoch check (KAFKA-18464, KAFKA-18660), so the next transaction's
    // EndTxn at the bumped epoch (or under the new producer id) waits for the last one's markers instead of failing.
    const markersPending = m.state === 'PrepareCommit' || m.state === 'PrepareAbort';
    if (v2 && markersPending) return answer(CONCURRENT_TRANSACTIONS);
    // Transactions v2: the retry of an EndTxn whose answer was lost comes with the epoch before the bump.
    if (v2 && req.producerEpoch === m.lastEpoch && req.producerEpoch !== m.epoch) {
      if ((commit && m.state === 'CompleteCommit') || (!commit && m.state === 'CompleteAbort')) return answer(NONE);
      return answer(INVALID_TXN_STATE);
    }
    if (req.producerId !== m.producerId || req.producerEpoch !== m.epoch) return answer(PRODUCER_FENCED);
    if (markersPending) return answer(CONCURRENT_TRANSACTIONS);
    switch (m.state) {
      case 'Ongoing': {
        const dataProducerId = m.producerId;
        if (v2) m.bumpEpoch(() => this.#world.newProducerId());
        this.#end(m, commit, dataProducerId);
        return answer(NONE);
      }
      case 'CompleteCommit':
      case 'CompleteAbort':
      case 'Empty':
        // v1: a retried EndTxn for the outcome already reached is answered NONE.
        if (!v2 && ((commit && m.state === 'CompleteCommit') || (!commit && m.state === 'CompleteAbort'))) return answer(NONE);
        // v2: an abort with nothing in the transaction still bumps the epoch.
        if (v2 && !commit) {
          m.bumpEpoch(() => this.#world.newProducerId());
          this.#end(m, false);
          return answer(NONE);
        }
        return answer(INVALID_TXN_STATE);
      default:
        return answer(CONCURRENT_TRANSACTIONS);
    }
  }

  /**
   * The broker's check of a transactional Produce (KIP-890): under v1 the
   * partition must be in the ongoing transaction; under v2 (Produce v12+)
   * the broker adds it. Returns the partition's error code, 0 to append.
   */
  verifyProduce(transactionalId: string, key: string, producerId: number, epoch: number, version: number): number {
    const m = this.txns.get(transactionalId);
    if (!m || m.producerId !== producerId) return INVALID_PRODUCER_ID_MAPPING;
    if (epoch !== m.epoch) return INVALID_PRODUCER_EPOCH;
    if (version >= 12) {
      if (m.state.startsWith('Prepare')) return CONCURRENT_TRANSACTIONS;
      this.#add(m, [key]);
      return NONE;
    }
    return m.state === 'Ongoing' && m.partitions.has(key) ? NONE : INVALID_TXN_STATE;
  }

  /** Transactional ids whose transaction is open (Ongoing or its markers not all written). */
  openTransactions(): string[] {
    return [...this.txns.values()].filter((m) => m.state === 'Ongoing' || m.state.startsWith('Prepare')).map((m) => m.transactionalId);
  }

  #check(id: string, producerId: number, epoch: number): number {
    const m = this.txns.get(id);
    if (!m || m.producerId !== producerId) return INVALID_PRODUCER_ID_MAPPING;
    if (epoch !== m.epoch) return PRODUCER_FENCED;
    if (m.state.startsWith('Prepare') || m.state === 'Dead') return CONCURRENT_TRANSACTIONS;
    return NONE;
  }

  #add(m: TransactionMetadata, keys: string[]): void {
    if (m.state !== 'Ongoing') {
      m.transitionTo('Ongoing');
      m.partitions.clear();
      m.startedAt = this.#world.now();
      const started = m.startedAt;
      // The coordinator aborts a transaction open past its timeout, fencing the producer (as abortTimedOutTransactions).
      this.#world.setTimeout(() => {
        if (m.state !== 'Ongoing' || m.startedAt !== started) return;
        this.timedOut++;
        this.#fence(m);
      }, m.timeoutMs);
    }
    for (const k of keys) m.partitions.add(k);
  }

  /** prepareFenceProducerEpoch, then the abort: the open transaction's producer is fenced. */
  #fence(m: TransactionMetadata): void {
    const dataProducerId = m.producerId;
    m.transitionTo('PrepareEpochFence');
    m.bumpEpoch(() => this.#world.newProducerId());
    this.#end(m, false, dataProducerId);
  }

  /**
   * Logs PrepareCommit/PrepareAbort, then writes the markers (under the
   * producer id the data was written with, at the current epoch, which
   * fences older ones) and completes.
   */
  #end(m: TransactionMetadata, commit: boolean, producerId = m.producerId): void {
    m.transitionTo(commit ? 'PrepareCommit' : 'PrepareAbort');
    const epoch = producerId === m.producerId ? m.epoch : m.lastEpoch;
    const partitions = [...m.partitions];
    this.#world.setTimeout(() => {
      for (const key of partitions) {
        if (key.startsWith(GROUP)) this.#world.groups.complete(key.slice(GROUP.length), producerId, commit);
        else this.#world.writeMarker(key, producerId, epoch, commit);
      }
      m.partitions.clear();
      m.transitionTo(commit ? 'CompleteCommit' : 'CompleteAbort');
    }, this.#world.markerDelayMs());
  }
}
