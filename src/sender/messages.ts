// The messages between the producer (main thread) and the sender, whichever
// thread the sender runs on. Plain data only, so they survive postMessage;
// errors cross as SerializedError and are rebuilt as the same classes.

import type { SenderConfig } from '../config.js';
import type { ProduceContext } from '../diagnostics/channels.js';

/** What an error field may hold to cross as it is. */
export type PlainValue = string | number | boolean | null;

export interface SerializedError {
  /** The class name (ERROR_CLASSES in wire-errors.ts). */
  name: string;
  message: string;
  stack?: string;
  /** Own enumerable fields: code, broker, retriable, errorCode, option, errno, ... */
  fields: Record<string, PlainValue>;
  /** Absent when the error has no cause. */
  cause?: SerializedError | PlainValue;
}

export type ToSender =
  | { t: 'init'; config: SenderConfig; ring: SharedArrayBuffer }
  | { t: 'slot'; id: number; sab: SharedArrayBuffer }
  | { t: 'drop-slot'; id: number }
  | { t: 'tp'; ref: number; topic: string; partition: number }
  | { t: 'metadata'; topic: string }
  /** Whether someone traces Produce requests: only then does the sender report them. */
  | { t: 'trace-produce'; on: boolean }
  /** A transaction step for the transaction manager; answered by a 'txn' message with the same id. */
  | { t: 'txn'; id: number; op: TxnOp; timeoutMs: number }
  /** The answer to a 'token-request' with the same id: what the provider gave (the sender checks it), or why there is none. */
  | { t: 'token'; id: number; token: ProvidedToken | null; error: SerializedError | null }
  | { t: 'close' };

/** An OAUTHBEARER token provider's answer, its fields as given. */
export interface ProvidedToken {
  value: unknown;
  extensions: unknown;
}

/** The consumer group whose offsets a transaction commits (Java's ConsumerGroupMetadata). */
export interface GroupMetadata {
  groupId: string;
  /** The consumer's generation and member ids let the coordinator fence a zombie consumer (KIP-447); -1 and '' skip that check. */
  generationId?: number;
  memberId?: string;
  groupInstanceId?: string | null;
}

/** One consumed partition's next offset to read, committed with the transaction. */
export interface TransactionOffset {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string | null;
}

export type TxnOp =
  | { kind: 'init' }
  | { kind: 'offsets'; offsets: TransactionOffset[]; group: GroupMetadata }
  | { kind: 'end'; commit: boolean };

/** One outcome for records [from, from + count) of the batch in `slot`. */
export interface Outcome {
  slot: number;
  /** The slot's generation when the batch was made (slots are reused). */
  gen: number;
  from: number;
  count: number;
  baseOffset: number;
  logAppendTime: number;
  error: SerializedError | null;
  /**
   * Set when a write still holds the slot's bytes (a request the batch
   * expired or failed in): the records settle now, the slot is freed only
   * once a later message lists it in `released`, or another batch could be
   * written in its place and sent in the old request's frame.
   */
  pinned?: true;
}

/** A slot (by id and generation) whose bytes no write holds any more. */
export interface SlotRef {
  slot: number;
  gen: number;
}

/** A partition as the cluster describes it (partitionsFor()). */
export interface PartitionMetadata {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

export interface TopicMetadata {
  topic: string;
  /** 0 when the topic is unknown. */
  partitionCount: number;
  /** Partitions with a leader. */
  available: number[];
  partitions: PartitionMetadata[];
  /** Kafka error code of the topic in the Metadata response (0 when fine). */
  errorCode: number;
  error: SerializedError | null;
}

export interface SenderCounters {
  requests: number;
  batches: number;
  batchBytes: number;
  retries: number;
  splits: number;
  metadataRefreshes: number;
  /** Idempotent producer epoch bumps (KIP-360), or new producer ids where the broker cannot bump. */
  epochBumps: number;
  /**
   * The transactions protocol in use: 2 (KIP-890: the broker adds partitions
   * itself, EndTxn bumps the epoch) where the coordinator's broker finalizes
   * transaction.version 2+, else 1; 0 before initTransactions() or without
   * transactions.
   */
  transactionVersion: number;
}

/** One Produce request for the `kafka-producer-ts:produce` trace, its error still serialized. */
export type ProduceFacts = Omit<ProduceContext, 'error'> & { error: SerializedError | null };

/** What the sender saw, for the producer's diagnostics channels and logger; rare, so always sent. */
export type SenderEvent =
  | { kind: 'connection'; type: 'open' | 'close' | 'error'; broker: string; host: string; port: number; nodeId: number | null; error: SerializedError | null }
  | { kind: 'retry'; topic: string; partition: number; attempt: number; records: number; backoffMs: number; broker: string; nodeId: number; error: SerializedError };

export type FromSender =
  /** `requests`: the Produce requests answered since the last message, while tracing is on (else null). */
  /** `released`: slots of pinned outcomes (reported in this message or before) that no write holds any more. */
  | { t: 'outcomes'; outcomes: Outcome[]; counters: SenderCounters; requests: ProduceFacts[] | null; released: SlotRef[] | null }
  | { t: 'event'; event: SenderEvent }
  | { t: 'metadata'; metadata: TopicMetadata }
  | { t: 'fatal'; error: SerializedError }
  /** A transaction step done (error null) or failed; the counters as they stand (initTransactions() settles transactionVersion). */
  | { t: 'txn'; id: number; error: SerializedError | null; counters: SenderCounters }
  /** A connection authenticates with OAUTHBEARER: the producer calls the token provider (a function stays on its thread). */
  | { t: 'token-request'; id: number }
  /** The sender's thread died: nothing it held will be reported. */
  | { t: 'crashed'; error: SerializedError }
  | { t: 'closed' };

/** Either end of the producer-sender link. */
export interface Channel<In, Out> {
  post(message: Out): void;
  onMessage(handler: (message: In) => void): void;
}
