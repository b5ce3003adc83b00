// Seeds that found the holes of the exactly-once issue (and two more) on
// the code they were found on, with the families they were found under and
// the line the oracle printed. `SIM_REGRESSIONS=1 npm run simulate` runs
// them all: once a hole is fixed its seeds must pass, and they stay here as
// its regression tests.

import type { FaultFamily, Feature } from './schedule.js';

export interface Regression {
  finding: string;
  seed: number;
  faults: FaultFamily[] | 'all';
  features: Feature[] | 'all';
  /** What the oracle said when it was found. */
  found: string;
}

export const REGRESSIONS: readonly Regression[] = [
  { finding: '1: offsets refused, commit goes ahead', seed: 73, faults: ['loading'], features: ['txn', 'offsets'], found: 'txn 1 committed but the offsets sent in it (sendOffsetsToTransaction() rejected) are not committed' },
  { finding: '3: in-doubt commit cannot be resolved', seed: 1, faults: ['lost'], features: ['txn'], found: 'a timed-out commitTransaction() could not be called again' },
  { finding: '3: a timed-out abort called again is fenced', seed: 271, faults: ['lost'], features: ['txn'], found: 'abortTransaction(): EndTxn(abort): PRODUCER_FENCED' },
  { finding: '4: overlapping calls rewrite the state', seed: 694, faults: ['loading'], features: ['txn', 'offsets', 'overlap'], found: 'during commitTransaction() was accepted (outcome: written)' },
  { finding: '6: a send refused during commit dooms it', seed: 12, faults: ['loading'], features: ['txn', 'offsets', 'overlap'], found: 'failed because a send refused during it counted against the transaction' },
  { finding: '7: INVALID_PRODUCER_ID_MAPPING on Produce made fatal', seed: 1, faults: ['errors'], features: ['txn', 'offsets'], found: 'codes injected: Produce:49' },
  { finding: '7: TRANSACTION_ABORTABLE on TxnOffsetCommit made fatal', seed: 49, faults: ['errors'], features: ['txn', 'offsets'], found: 'TxnOffsetCommit for group g: TRANSACTION_ABORTABLE' },
  { finding: '10: a record written to the wrong partition', seed: 128, faults: ['stall'], features: ['acks0'], found: "record 00024.000 sent to c-0 is in a-0's log" },
  { finding: '11: ring counters wrap: a batch sent twice', seed: 52, faults: [], features: ['idempotent', 'wrap'], found: "record 00002.000 is twice in b-2's log" },
  { finding: '11: ring counters wrap: a flush that never ends', seed: 192, faults: [], features: ['idempotent', 'wrap'], found: 'flush() called at' },
  { finding: 'Metadata with a hole at partition 0', seed: 23, faults: ['metadata', 'moves'], features: ['idempotent'], found: 'uncaught exception: TypeError' },
  { finding: '3 and 4: a transaction reported aborted is committed (EndTxn(commit) in doubt; a send accepted during the commit reopens it and the abort ends only that)', seed: 644, faults: 'all', features: ['txn', 'txn2', 'offsets', 'overlap'], found: 'txn 1 was aborted but read_committed shows' },
  { finding: 'new: a transaction left open after close()', seed: 63, faults: ['lost'], features: ['txn'], found: 'the transaction is still open on the coordinator after close() resolved' },
  { finding: 'new: an abort right after a v2 commit made fatal (the fake coordinator answered INVALID_TXN_STATE while the commit markers were written; Kafka answers CONCURRENT_TRANSACTIONS)', seed: 4192, faults: 'all', features: 'all', found: 'EndTxn(abort): INVALID_TXN_STATE' },
  { finding: 'new: a batch written by a timed-out attempt, numbered again after later ones were acknowledged (OUT_OF_ORDER_SEQUENCE_NUMBER past the five batches the broker remembers)', seed: 11352, faults: 'all', features: 'all', found: "record 00001.000 is twice in a-0's log" },
  { finding: 'new: sendOffsetsToTransaction() past maxBlockMs', seed: 915, faults: 'all', features: ['txn', 'txn2', 'offsets', 'overlap'], found: 'sendOffsetsToTransaction() took' },
  { finding: 'new: sendOffsetsToTransaction() queued behind an AddPartitionsToTxn retried until deliveryTimeoutMs', seed: 4304, faults: 'all', features: 'all', found: 'sendOffsetsToTransaction() took' },
];
