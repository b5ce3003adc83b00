// What bench:eos measures and keeps, shared by its two parts and its report.

import { randomBytes } from 'node:crypto';
import type { RunMetrics } from './job.js';
import type { Machine } from './machine.js';
import type { TxnMetrics } from './txn-job.js';

/** Every run writes to a fresh topic with this many partitions. */
export const PARTITIONS = 6;

/** A ratio at or above this means idempotence costs at most 5 % of throughput: the project's target. */
export const IDEMPOTENCE_TARGET = 0.95;

/** Good runs and the errors of failed ones, for one side of one comparison. */
export interface Outcome<T> {
  runs: T[];
  failures: string[];
}

export interface IdemWorkload {
  id: string;
  title: string;
  records: number;
  valueSize: number;
}

export type IdemVariantId = 'idempotent' | 'non-idempotent';

export interface IdemRow {
  workload: IdemWorkload;
  outcomes: Record<IdemVariantId, Outcome<RunMetrics>>;
  /** Idempotent / non-idempotent records/s of each round where both runs succeeded. */
  roundRatios: number[];
}

export interface IdemResults {
  rounds: number;
  rows: IdemRow[];
  /** How the runner drove each variant, as it reported. */
  how: Partial<Record<IdemVariantId, string>>;
}

export type TxnSideId = 'ours' | 'java';

/** A transactional run and how many of its records a read_committed consumer saw. */
export interface TxnRun extends TxnMetrics {
  committedSeen: number;
}

export interface TxnSide {
  id: TxnSideId;
  label: string;
  version: string;
  how: string;
  outcome: Outcome<TxnRun>;
}

export interface TxnResults {
  rounds: number;
  transactions: number;
  recordsPerTransaction: number;
  valueSize: number;
  sides: TxnSide[];
  /** Ours / Java records/s of each round where both runs succeeded. */
  roundRatios: number[];
}

export interface EosResults {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: Machine;
  broker: string;
  /** The broker's finalized transaction.version feature (0: none, transactions v1 only). */
  transactionVersion: number;
  /** Whether the broker answered ApiVersions differently at the end than at the start (another release took the port). */
  brokerChanged: boolean;
  /** The machine's 1-minute load average when the run started and ended: others' work shows here. */
  load: { start: number; end: number };
  ourVersion: string;
  idempotence: IdemResults;
  transactions: TxnResults;
}

export function uniqueName(label: string): string {
  return `bench-eos-${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
