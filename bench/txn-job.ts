// What bench:eos hands a transactional runner (ours as JSON in argv, the Java
// program as arguments) and the one JSON line each prints back. Both print the
// same shape so the report reads them alike.

export interface TxnJob {
  bootstrap: string;
  topic: string;
  transactionalId: string;
  transactions: number;
  recordsPerTransaction: number;
  valueSize: number;
}

export interface TxnMetrics {
  ok: true;
  /** From the first beginTransaction() to the last commitTransaction() returning. */
  wallMs: number;
  transactions: number;
  records: number;
  /** Median time one commitTransaction() call took (it flushes what is left, then EndTxn). */
  commitP50Ms: number;
  /** User + system CPU of the whole process (all threads) during the timed loop. */
  cpuMs: number;
  /** The process's peak RSS. */
  maxRssMb: number;
  /** The transactions protocol the client used (1 or 2), when it says; ours does (metrics().transactionVersion). */
  transactionVersion?: number;
}

export interface TxnFailure {
  ok: false;
  error: string;
}

export type TxnResult = TxnMetrics | TxnFailure;
