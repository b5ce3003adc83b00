// The transactional producer on the sender's side (the transactions v1
// flow of Java's TransactionManager, KIP-98): the producer id and epoch from
// InitProducerId with the transactional id, AddPartitionsToTxn before a
// partition's first batch of a transaction goes out (its batches wait at the
// drain gate until the coordinator answered), the group's offsets
// (AddOffsetsToTxn, then TxnOffsetCommit to the group coordinator), and
// EndTxn. Steps run one at a time, in the order they were asked for; an
// offsets step still waiting for its turn at maxBlockMs fails at once.
//
// Which call is allowed when is the producer's business (src/transactions.ts);
// here a transaction becomes abortable when one of its batches fails (its
// queued batches then fail at once, as they could not commit), when an
// offsets step fails in any way (no EndTxn(commit) may follow offsets that
// may be missing), or when the coordinator does not add a partition (judged
// per partition), and fatal when the producer is fenced. A commit or abort
// step asked again after a timeout sends its EndTxn again.
//
// Transactions v2 (KIP-890 part 2, transaction-version.ts), where the broker
// offers it: no AddPartitionsToTxn (the Produce request names the
// transactional id and the broker adds the partition), no AddOffsetsToTxn
// (TxnOffsetCommit v5 adds the group), and EndTxn v5 bumps the epoch and
// answers the new id and epoch, which the next transaction numbers under.

import type { SenderConfig } from '../config.js';
import { KafkaTimeoutError, ProducerClosedError, ProducerFatalError, TransactionAbortableError, TransactionAbortedError, TransactionFatalError, UnsupportedVersionError } from '../errors.js';
import { AddOffsetsToTxn } from '../protocol/apis/add-offsets-to-txn.js';
import { AddPartitionsToTxn } from '../protocol/apis/add-partitions-to-txn.js';
import { EndTxn } from '../protocol/apis/end-txn.js';
import { COORDINATOR_GROUP, COORDINATOR_TRANSACTION } from '../protocol/apis/find-coordinator.js';
import { InitProducerId } from '../protocol/apis/init-producer-id.js';
import { TxnOffsetCommit } from '../protocol/apis/txn-offset-commit.js';
import { checked, initProducerIdProblem } from '../network/response-checks.js';
import { KafkaResponseError } from '../protocol/errors.js';
import type { Clock } from './clock.js';
import { addPartitionsCode, Coordinators, LOST_PRODUCER_ID_CODES, transactionFatal, type CoordinatorRequest } from './coordinator.js';
import type { ProducerIds } from './idempotence.js';
import type { GroupMetadata, TransactionOffset, TxnOp } from './messages.js';
import type { PartitionQueue } from './partition-queue.js';
import type { SenderBatch } from './sender-batch.js';
import type { Transport } from './transport.js';
import { transactionVersionOf, type TransactionVersion } from './transaction-version.js';

/**
 * Produce v12 and EndTxn/TxnOffsetCommit v5 mean transactions protocol v2
 * (KIP-890: the broker adds partitions itself, EndTxn bumps the epoch).
 * Under v1 this manager adds partitions itself, so it stays below them, as
 * the Java client does where transaction.version 2 is not in use.
 */
export const TXN_V1_MAX_PRODUCE_VERSION = 11;
const TXN_V1_MAX_END_VERSION = 4;
/** InitProducerId takes the current id and epoch (an epoch bump) from v3 on (KIP-360). */
const INIT_PRODUCER_ID_BUMP_VERSION = 3;
const PRODUCER_FENCED = 90;
/** TxnOffsetCommit carries the consumer's generation, member and instance ids from v3 on (KIP-447). */
const TXN_OFFSET_COMMIT_GROUP_VERSION = 3;
const INVALID_PRODUCER_ID_MAPPING = 49;

export interface TransactionHooks {
  queues(): Iterable<PartitionQueue>;
  /** Every batch the accumulator holds, open ones sealed now, into its queue. */
  collect(): void;
  fail(err: Error, batch: SenderBatch, q: PartitionQueue): void;
  /** The producer cannot go on: every batch fails, the producer hears it. */
  fatal(err: TransactionFatalError): void;
  /** The sender's fatal error, if it has one (then no step is tried). */
  fatalError(): Error | null;
  wake(): void;
  /** The step `id` is done (error null) or failed; outcomes reported so far go out before it. */
  reply(id: number, error: Error | null): void;
}

export class TransactionManager {
  readonly #transactionalId: string;
  readonly #timeoutMs: number;
  readonly #deliveryTimeoutMs: number;
  readonly #clock: Clock;
  readonly #ids: ProducerIds;
  readonly #hooks: TransactionHooks;
  readonly #coordinators: Coordinators;
  /** Steps run one after another, in the order asked. */
  #chain: Promise<unknown> = Promise.resolve();
  /** Steps enqueued and not finished, and what the one running does (for the error of one that waited too long behind it). */
  #queued = 0;
  #running = '';
  /** Partitions the coordinator added to the ongoing transaction. */
  readonly #added = new Set<PartitionQueue>();
  /** Partitions with a batch waiting for AddPartitionsToTxn. */
  readonly #pending = new Set<PartitionQueue>();
  #addScheduled = false;
  #offsetsAdded = false;
  /** Set once the transaction cannot commit: its queued batches fail with it. */
  #abortable: TransactionAbortableError | null = null;
  /** abortTransaction() is under way: queued batches fail with this. */
  #aborting: TransactionAbortedError | null = null;
  /** Under v2: each partition let through the gate, with its numbering (producer id/epoch/next sequence) then; a change means a batch went into a request. */
  readonly #v2Marks = new Map<PartitionQueue, string>();
  /** An AddPartitionsToTxn or AddOffsetsToTxn went out: even unanswered, it may have opened the transaction on the coordinator. */
  #maybeStarted = false;
  /** The abort's EndTxn was answered; what is left of it (the epoch bump) is all a retried abort does. */
  #abortEnded = false;
  /** The code with which the coordinator said it lost the producer id: the abort bumps the epoch. */
  #lostProducerId: number | null = null;
  /** Resolved by tick() once no batch is in flight. */
  #settledWaiters: (() => void)[] = [];
  /** Settled by the first InitProducerId, then kept for the producer's life (0 until then). */
  #version: TransactionVersion | 0 = 0;

  constructor(config: SenderConfig & { transactionalId: string }, transport: Transport, clock: Clock, ids: ProducerIds, hooks: TransactionHooks) {
    this.#transactionalId = config.transactionalId;
    this.#timeoutMs = config.transactionTimeoutMs;
    this.#deliveryTimeoutMs = config.deliveryTimeoutMs;
    this.#clock = clock;
    this.#ids = ids;
    // The id comes from InitProducerId with the transactional id (here), never from ProducerIds' own.
    ids.transactional = true;
    this.#hooks = hooks;
    this.#coordinators = new Coordinators(transport, clock, config.retryBackoffMs, config.retryBackoffMaxMs, config.transactionalId);
  }

  /** The transactions protocol in use: 1 or 2 once initTransactions() succeeded, 0 before. */
  get transactionVersion(): TransactionVersion | 0 {
    return this.#version;
  }

  /** A step from the producer; answered through hooks.reply. */
  run(id: number, op: TxnOp, timeoutMs: number): void {
    const deadline = this.#clock.now() + timeoutMs;
    if (op.kind === 'end' && !op.commit) this.#beginAbort();
    let replied = false;
    const reply = (error: Error | null): void => {
      if (replied) return;
      replied = true;
      this.#hooks.reply(id, error);
    };
    // As Java's sendOffsetsToTransaction() (its result awaited for max.block.ms): the caller hears within maxBlockMs even when the step
    // waits behind another, an AddPartitionsToTxn retried until deliveryTimeoutMs, say. It then never goes out, and the transaction
    // cannot commit (as for offsets that failed in any way). Once it started, its own requests carry the deadline.
    let started = false;
    const waiting = op.kind === 'offsets' && this.#queued > 0 ? this.#clock.setTimeout(() => started || reply(this.#offsetsTimedOut(op.group.groupId, timeoutMs)), timeoutMs) : null;
    const step = (): Promise<void> => {
      started = true;
      if (waiting !== null) this.#clock.clearTimeout(waiting);
      if (replied) return Promise.reject(this.#abortable ?? new TransactionAbortableError('sendOffsetsToTransaction() timed out before it started'));
      const fatal = this.#hooks.fatalError();
      if (fatal) return Promise.reject(fatal);
      switch (op.kind) {
        case 'init':
          // A fresh start: nothing of an earlier, failed initTransactions() (an abortable answer, say) carries over.
          return this.#initProducerId(-1, -1, deadline).then(() => this.#reset());
        case 'offsets':
          return this.#sendOffsets(op.offsets, op.group, deadline);
        case 'end':
          return op.commit ? this.#commit(deadline) : this.#abort(deadline);
      }
    };
    this.#enqueue(step, op.kind === 'end' ? `EndTxn(${op.commit ? 'commit' : 'abort'})` : op.kind === 'init' ? 'InitProducerId' : 'the offsets of an earlier call').then(
      () => reply(null),
      (err: Error) => {
        // Offsets that failed in any way (timed out too) may be in the transaction or not: no EndTxn(commit) may follow (as in Java, where a failed TxnOffsetCommit makes it abortable).
        if (op.kind === 'offsets' && !(err instanceof ProducerFatalError)) {
          this.#abortable ??= err instanceof TransactionAbortableError ? err : new TransactionAbortableError(`${err.message}: the transaction cannot commit; call abortTransaction(), then begin another`, err);
        }
        reply(this.#failed(err));
      },
    );
  }

  /** An offsets step still waiting for its turn at maxBlockMs: the caller's KafkaTimeoutError; the transaction cannot commit. */
  #offsetsTimedOut(groupId: string, timeoutMs: number): KafkaTimeoutError {
    const err = new KafkaTimeoutError(`sendOffsetsToTransaction() for group ${groupId} did not start within maxBlockMs (${timeoutMs} ms): it waited behind ${this.#running}`);
    this.#abortable ??= new TransactionAbortableError(`${err.message}: the transaction cannot commit; call abortTransaction(), then begin another`, err);
    return err;
  }

  /**
   * The drain gate: may the partition's head batch go? Only once its
   * partition is in the transaction; while that is asked, or once the
   * transaction can no longer commit, not (the batches then fail at once).
   */
  mayDrain(q: PartitionQueue): boolean {
    const failure = this.#aborting ?? this.#abortable ?? this.#gapIn(q);
    if (failure) {
      for (const b of q.queue.slice()) this.#hooks.fail(failure, b, q);
      return false;
    }
    if (this.#added.has(q)) return true;
    if (this.#version === 2) {
      // The Produce request names the transactional id and the broker adds the partition. Noted with the partition's numbering now: the
      // transaction counts as started (EndTxn) only once a batch was numbered into a request, since the sender may yet hold this one back.
      this.#added.add(q);
      this.#v2Marks.set(q, `${q.sequenceProducerId}/${q.sequenceEpoch}/${q.nextSequence}`);
      return true;
    }
    this.#pending.add(q);
    if (!this.#addScheduled) {
      this.#addScheduled = true;
      void this.#enqueue(() => this.#addPartitions(), 'AddPartitionsToTxn');
    }
    return false;
  }

  /**
   * A batch of the transaction failed. PRODUCER_FENCED means fatal; any
   * other failure (not the abort's own) means the transaction cannot commit,
   * INVALID_PRODUCER_EPOCH included: from a partition leader it means the
   * coordinator timed the transaction out (KIP-588), and the abort's EndTxn
   * then tells whether this producer was fenced. Only flags are set: the
   * caller may be iterating the queues.
   */
  batchFailed(err: Error): void {
    // An abort waits for its batches in flight: each one done may be the last (tick()).
    this.#hooks.wake();
    if (this.#aborting || err instanceof TransactionAbortedError || err instanceof TransactionAbortableError) return;
    if (err instanceof ProducerFatalError || err instanceof ProducerClosedError) return;
    if (err instanceof KafkaResponseError && err.errorCode === PRODUCER_FENCED) {
      this.#hooks.fatal(transactionFatal(err, this.#transactionalId));
      return;
    }
    this.#abortable ??= new TransactionAbortableError(`a record of the transaction failed (${err.message}): the transaction cannot commit; call abortTransaction(), then begin another`, err);
  }

  /** Called on every drain: an abort waiting for batches in flight goes on once there are none (or the producer failed). */
  tick(): void {
    if (this.#settledWaiters.length === 0) return;
    if (!this.#hooks.fatalError()) for (const q of this.#hooks.queues()) if (q.inFlight.size > 0) return;
    for (const resolve of this.#settledWaiters.splice(0)) resolve();
  }

  close(): void {
    this.#coordinators.close();
    for (const resolve of this.#settledWaiters.splice(0)) resolve();
  }

  #enqueue<T>(step: () => Promise<T>, what: string): Promise<T> {
    this.#queued++;
    const p = this.#chain.then(() => {
      this.#running = what;
      return step();
    });
    this.#chain = p.catch(() => undefined).then(() => {
      this.#queued--;
    });
    return p;
  }

  /** A failed step's error; an abortable one also marks the transaction. */
  #failed(err: Error): Error {
    if (err instanceof TransactionAbortableError) {
      this.#abortable ??= err;
      if (err.cause instanceof KafkaResponseError && LOST_PRODUCER_ID_CODES.has(err.cause.errorCode)) this.#lostProducerId = err.cause.errorCode;
    } else if (err instanceof TransactionFatalError) this.#hooks.fatal(err);
    return err;
  }

  /**
   * A numbered batch came back surely unwritten (UNKNOWN_PRODUCER_ID, or out
   * of sequence at its partition's head): inside a transaction its records
   * cannot go again under the same epoch, so the transaction cannot commit;
   * the abort bumps the epoch (KIP-360).
   */
  #gapIn(q: PartitionQueue): TransactionAbortableError | null {
    if (!q.needsBump) return null;
    const cause = q.queue[0]?.lastError ?? new KafkaResponseError(45, `Produce to ${q.name}`);
    this.#abortable ??= new TransactionAbortableError(`a batch for ${q.name} lost its sequence (${cause.message}): the transaction cannot commit; call abortTransaction(), then begin another`, cause);
    return this.#abortable;
  }

  #txnRequest<Res>(what: string, deadline: number, send: CoordinatorRequest<Res>['send'], codeOf: (res: Res) => number, unexpected: 'abortable' | 'fatal' = 'fatal'): Promise<Res> {
    return this.#coordinators.request({ what, keyType: COORDINATOR_TRANSACTION, key: this.#transactionalId, send, codeOf, unexpected, deadline });
  }

  /** InitProducerId with the transactional id: fences older instances and lets the coordinator finish their transaction. (-1, -1): the first; else an epoch bump. */
  async #initProducerId(producerId: number, epoch: number, deadline: number): Promise<void> {
    let offered: TransactionVersion = 1;
    const res = await this.#coordinators.request({
      what: 'InitProducerId',
      keyType: COORDINATOR_TRANSACTION,
      key: this.#transactionalId,
      send: (conn) => {
        offered = transactionVersionOf(conn);
        const bump = producerId >= 0 && conn.versionFor(InitProducerId) >= INIT_PRODUCER_ID_BUMP_VERSION;
        return conn
          .request(InitProducerId, {
            transactionalId: this.#transactionalId,
            transactionTimeoutMs: this.#timeoutMs,
            producerId: bump ? producerId : -1,
            producerEpoch: bump ? epoch : -1,
          })
          .then((r) => checked(r, initProducerIdProblem(r, conn.broker)));
      },
      codeOf: (r) => r.errorCode,
      unexpected: 'fatal',
      deadline,
    });
    // From the coordinator that answered the first InitProducerId; never changed later, so no transaction mixes the two protocols.
    if (this.#version === 0) this.#version = offered;
    this.#adopt(res.producerId, res.producerEpoch);
  }

  /** A new id or epoch (InitProducerId, or EndTxn under v2): new batches are numbered under it. */
  #adopt(producerId: number, epoch: number): void {
    this.#ids.adopt(producerId, epoch);
    // Nothing is pending after init, a commit or an abort: every partition starts again at sequence 0 (ProducerIds.mayNumber restarts the others once clear).
    for (const q of this.#hooks.queues()) if (!q.numberedPending) q.restartSequences(producerId, epoch);
    this.#hooks.wake();
  }

  /** One AddPartitionsToTxn for every partition waiting at the gate. */
  async #addPartitions(): Promise<void> {
    this.#addScheduled = false;
    const asked = [...this.#pending].filter((q) => q.queue.length > 0 && !this.#added.has(q));
    this.#pending.clear();
    if (asked.length === 0 || this.#aborting || this.#abortable) return;
    const byTopic = new Map<string, number[]>();
    for (const q of asked) byTopic.set(q.topic, [...(byTopic.get(q.topic) ?? []), q.partition]);
    const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
    const what = `AddPartitionsToTxn for ${asked.map((q) => q.name).join(', ')}`;
    this.#maybeStarted = true;
    try {
      const res = await this.#txnRequest(
        what,
        this.#clock.now() + this.#deliveryTimeoutMs,
        (conn) =>
          conn.request(AddPartitionsToTxn, {
            v3AndBelowTransactionalId: this.#transactionalId,
            v3AndBelowProducerId: this.#ids.producerId,
            v3AndBelowProducerEpoch: this.#ids.epoch,
            v3AndBelowTopics: topics,
          }),
        (r) => addPartitionsCode(r.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode))),
        'abortable',
      );
      // Judged per partition (as Java's AddPartitionsToTxnHandler): only a partition answered NONE is in the transaction; one left out of the answer is not.
      const answered = new Set(res.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.filter((p) => p.partitionErrorCode === 0).map((p) => `${t.name}\0${p.partitionIndex}`)));
      const missing = asked.filter((q) => !answered.has(`${q.topic}\0${q.partition}`));
      if (missing.length > 0) throw new TransactionAbortableError(`${what}: the coordinator's answer did not add ${missing.map((q) => q.name).join(', ')}: the transaction cannot commit; call abortTransaction(), then begin another`);
      for (const q of asked) this.#added.add(q);
    } catch (err) {
      this.#failed(err instanceof TransactionAbortableError || err instanceof ProducerFatalError ? err : new TransactionAbortableError(`${what} failed: ${(err as Error).message}`, err));
    }
    this.#hooks.wake();
  }

  async #sendOffsets(offsets: TransactionOffset[], group: GroupMetadata, deadline: number): Promise<void> {
    if (this.#abortable) throw this.#abortable;
    const { producerId, epoch: producerEpoch } = this.#ids;
    const transactionalId = this.#transactionalId;
    const v2 = this.#version === 2;
    // Under v2, TxnOffsetCommit v5 adds the group's offsets partition itself: the transaction has started once it is sent, so EndTxn must follow.
    if (!v2) {
      this.#maybeStarted = true;
      await this.#txnRequest(
        `AddOffsetsToTxn for group ${group.groupId}`,
        deadline,
        (conn) => conn.request(AddOffsetsToTxn, { transactionalId, producerId, producerEpoch, groupId: group.groupId }),
        (r) => r.errorCode,
      );
    }
    this.#offsetsAdded = true;
    const grouped = (group.generationId ?? -1) !== -1 || (group.memberId ?? '') !== '' || (group.groupInstanceId ?? null) !== null;
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: number; committedMetadata: string | null }[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partitionIndex: o.partition, committedOffset: o.offset, committedMetadata: o.metadata ?? null }]);
    await this.#coordinators.request({
      what: `TxnOffsetCommit for group ${group.groupId}`,
      keyType: COORDINATOR_GROUP,
      key: group.groupId,
      send: (conn) => {
        const version = v2 ? conn.versionFor(TxnOffsetCommit) : Math.min(conn.versionFor(TxnOffsetCommit), TXN_V1_MAX_END_VERSION);
        // Below v3 the request has no room for them: sent without, the coordinator could not fence a zombie consumer (KIP-447). Java refuses alike.
        if (version < TXN_OFFSET_COMMIT_GROUP_VERSION && grouped) {
          const why = new UnsupportedVersionError(
            conn.broker,
            `TxnOffsetCommit v${version} cannot carry the consumer's generationId, memberId or groupInstanceId (KIP-447 needs v${TXN_OFFSET_COMMIT_GROUP_VERSION}, Kafka 2.5 or later); upgrade the brokers, or pass groupMetadata with only groupId`,
          );
          throw new TransactionFatalError(`sendOffsetsToTransaction() for group ${group.groupId}: ${why.message}`, why);
        }
        return conn.request(
          TxnOffsetCommit,
          {
            transactionalId,
            groupId: group.groupId,
            producerId,
            producerEpoch,
            generationId: group.generationId ?? -1,
            memberId: group.memberId ?? '',
            groupInstanceId: group.groupInstanceId ?? null,
            topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
          },
          { version },
        );
      },
      codeOf: (res) => res.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)).find((c) => c !== 0) ?? 0,
      unexpected: 'fatal',
      deadline,
    });
  }

  #started(): boolean {
    if (this.#offsetsAdded) return true;
    if (this.#version !== 2) return this.#added.size > 0;
    // EndTxn where the coordinator has nothing open is refused (INVALID_TXN_STATE, fatal): only a batch that went into a request may have opened it.
    for (const [q, mark] of this.#v2Marks) if (q.inFlight.size > 0 || `${q.sequenceProducerId}/${q.sequenceEpoch}/${q.nextSequence}` !== mark) return true;
    return false;
  }

  /** Under v2, the answer's bumped epoch (or new id, past the highest epoch) is adopted: the old one is fenced from here on. */
  async #endTxn(commit: boolean, deadline: number): Promise<void> {
    const { producerId, epoch: producerEpoch } = this.#ids;
    const v2 = this.#version === 2;
    const res = await this.#txnRequest(
      `EndTxn(${commit ? 'commit' : 'abort'})`,
      deadline,
      (conn) =>
        conn.request(
          EndTxn,
          { transactionalId: this.#transactionalId, producerId, producerEpoch, committed: commit },
          { version: v2 ? conn.versionFor(EndTxn) : Math.min(conn.versionFor(EndTxn), TXN_V1_MAX_END_VERSION) },
        ),
      (r) => r.errorCode,
    );
    if (v2 && res.producerId >= 0 && res.producerEpoch >= 0) this.#adopt(res.producerId, res.producerEpoch);
  }

  /** Called after the producer's flush: every batch of the transaction is settled. */
  async #commit(deadline: number): Promise<void> {
    if (this.#abortable) throw this.#abortable;
    if (this.#started()) await this.#endTxn(true, deadline);
    this.#reset();
  }

  /** At once, not in turn: queued batches fail now, so nothing more of the transaction goes out. */
  #beginAbort(): void {
    this.#aborting = new TransactionAbortedError('the transaction was aborted (abortTransaction()) before the record was sent');
    this.#hooks.collect();
    for (const q of this.#hooks.queues()) for (const b of q.queue.slice()) this.#hooks.fail(this.#aborting, b, q);
  }

  /** Batches in flight are awaited, then EndTxn(abort); a lost sequence bumps the epoch before the next transaction. */
  async #abort(deadline: number): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#settledWaiters.push(resolve);
      this.tick();
    });
    // Batches that came back for a retry meanwhile are queued again: they are aborted too.
    const aborted = this.#aborting ?? new TransactionAbortedError('the transaction was aborted');
    for (const q of this.#hooks.queues()) for (const b of q.queue.slice()) this.#hooks.fail(aborted, b, q);
    // INVALID_PRODUCER_ID_MAPPING: the coordinator would refuse EndTxn alike; the bump alone ends the transaction (as in Java).
    const ended = this.#started() && this.#lostProducerId !== INVALID_PRODUCER_ID_MAPPING;
    // An abort asked again after its epoch bump timed out does not send EndTxn again: the bump may have happened, and the coordinator would take the old epoch for a fenced producer. The same InitProducerId again is a retry it answers (KIP-360).
    if (ended && !this.#abortEnded) {
      await this.#endTxn(false, deadline);
      this.#abortEnded = true;
    }
    // An AddPartitionsToTxn or AddOffsetsToTxn whose answer never came may have opened the transaction all the same: only a bump ends it surely (the coordinator aborts what is open; EndTxn would be refused where nothing is).
    let gap = this.#lostProducerId !== null || (!ended && this.#maybeStarted);
    // Under v2 EndTxn bumped the epoch already: a lost sequence starts again at 0 without another bump.
    if (!(ended && this.#version === 2)) for (const q of this.#hooks.queues()) gap ||= q.needsBump;
    if (gap) await this.#initProducerId(this.#ids.producerId, this.#ids.epoch, deadline);
    this.#reset();
  }

  #reset(): void {
    this.#added.clear();
    this.#v2Marks.clear();
    this.#pending.clear();
    this.#offsetsAdded = false;
    this.#lostProducerId = null;
    this.#abortable = null;
    this.#aborting = null;
    this.#abortEnded = false;
    this.#maybeStarted = false;
    this.#hooks.wake();
  }
}
