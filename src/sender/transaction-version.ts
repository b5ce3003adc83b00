// Which transactions protocol a transactional producer speaks. Version 2
// (KIP-890 part 2) is the broker's to offer: a cluster that finalized the
// feature transaction.version at level 2 or more adds a partition to the
// transaction itself when a Produce (v12+) names the transactional id, adds
// the group's offsets on TxnOffsetCommit (v5+), and bumps the producer epoch
// on every EndTxn (v5+). Elsewhere (Kafka 3.x) the client adds partitions
// and offsets itself (version 1). Decided once per producer, as the Java
// client's TransactionManager does, so one transaction never mixes the two.

import { EndTxn } from '../protocol/apis/end-txn.js';
import { TxnOffsetCommit } from '../protocol/apis/txn-offset-commit.js';
import type { SenderConnection } from './transport.js';

export type TransactionVersion = 1 | 2;

/** The first EndTxn and TxnOffsetCommit versions of transactions v2. */
export const TXN_V2_MIN_VERSION = 5;

/** The protocol the coordinator's broker offers, from its ApiVersions answer. */
export function transactionVersionOf(conn: SenderConnection): TransactionVersion {
  if ((conn.finalizedFeatures.get('transaction.version') ?? 0) < 2) return 1;
  // A broker that finalizes the feature offers these versions; without them (a client or broker out of step) v1 still works.
  try {
    return conn.versionFor(EndTxn) >= TXN_V2_MIN_VERSION && conn.versionFor(TxnOffsetCommit) >= TXN_V2_MIN_VERSION ? 2 : 1;
  } catch {
    return 1;
  }
}
