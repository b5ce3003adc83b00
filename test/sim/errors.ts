// The error codes each API may answer, as Kafka lists them (the "possible
// error codes" of ProduceResponse, InitProducerIdResponse,
// AddPartitionsToTxnResponse, AddOffsetsToTxnResponse, TxnOffsetCommitResponse,
// EndTxnResponse and FindCoordinatorResponse, and the codes the message
// schemas' version notes add: PRODUCER_FENCED, TRANSACTION_ABORTABLE), and
// which of them the Java client lets end the producer. A producer that
// becomes fatal after none of the latter is a violation: Java would have
// retried, or only aborted the transaction.

/** Codes a fault may answer, by API. Transactional-only codes are drawn only for transactional producers. */
export const API_ERRORS: Readonly<Record<string, readonly number[]>> = {
  // CORRUPT_MESSAGE, UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS(_AFTER_APPEND), KAFKA_STORAGE_ERROR
  Produce: [2, 3, 6, 7, 19, 20, 56],
  FindCoordinator: [14, 15],
  InitProducerId: [14, 15, 16, 51],
  AddPartitionsToTxn: [14, 15, 16, 51, 3, 120],
  AddOffsetsToTxn: [14, 15, 16, 51, 120],
  // REQUEST_TIMED_OUT, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS: retried or abortable in Java.
  TxnOffsetCommit: [14, 15, 16, 7, 25, 22, 120],
  EndTxn: [14, 15, 16, 51],
};

/** Produce codes a transactional producer may get: INVALID_TXN_STATE, INVALID_PRODUCER_ID_MAPPING, TRANSACTION_ABORTABLE (abortable in Java). */
export const TXN_PRODUCE_ERRORS: readonly number[] = [48, 49, 120];

/**
 * Codes after which the Java client may end the producer (fatalError in
 * TransactionManager's handlers or the Sender): authorization, fencing,
 * unsupported versions, a state the coordinator refuses on its own APIs.
 * Everything API_ERRORS lists is outside it: retried, or abortable.
 */
export const FATAL_ALLOWED: Readonly<Record<string, ReadonlySet<number>>> = {
  Produce: new Set([31, 35, 43, 53, 90]),
  InitProducerId: new Set([31, 47, 50, 53, 90]),
  AddPartitionsToTxn: new Set([47, 48, 53, 90]),
  AddOffsetsToTxn: new Set([47, 48, 53, 90]),
  TxnOffsetCommit: new Set([35, 43, 47, 53, 90]),
  EndTxn: new Set([47, 48, 53, 90]),
};

export const ERROR_NAMES: Readonly<Record<number, string>> = {
  2: 'CORRUPT_MESSAGE',
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  6: 'NOT_LEADER_OR_FOLLOWER',
  7: 'REQUEST_TIMED_OUT',
  14: 'COORDINATOR_LOAD_IN_PROGRESS',
  15: 'COORDINATOR_NOT_AVAILABLE',
  16: 'NOT_COORDINATOR',
  19: 'NOT_ENOUGH_REPLICAS',
  20: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  22: 'ILLEGAL_GENERATION',
  25: 'UNKNOWN_MEMBER_ID',
  47: 'INVALID_PRODUCER_EPOCH',
  48: 'INVALID_TXN_STATE',
  49: 'INVALID_PRODUCER_ID_MAPPING',
  51: 'CONCURRENT_TRANSACTIONS',
  56: 'KAFKA_STORAGE_ERROR',
  90: 'PRODUCER_FENCED',
  120: 'TRANSACTION_ABORTABLE',
};
