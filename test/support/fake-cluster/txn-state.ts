// The transaction coordinator's state of one transactional id, as Kafka's
// TransactionMetadata keeps it (core: kafka.coordinator.transaction): its
// states and the table of valid previous states each one has. Every change
// goes through transitionTo, which refuses one the table does not allow:
// a model that slips into an impossible state is a loud error, not a
// quiet wrong answer.

export type TxnState = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort' | 'PrepareEpochFence' | 'Dead';

export const TXN_STATES: readonly TxnState[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'PrepareEpochFence', 'Dead'];

/**
 * Valid previous states, as TransactionState.validPreviousStates. PrepareAbort
 * from Empty and the Complete states is transactions v2's (KIP-890): an
 * abort with nothing added still bumps the epoch.
 */
export const VALID_PREVIOUS: Readonly<Record<TxnState, readonly TxnState[]>> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  PrepareEpochFence: ['Ongoing'],
  Dead: ['Empty', 'CompleteAbort', 'CompleteCommit'],
};

export class IllegalTxnTransition extends Error {
  constructor(id: string, from: TxnState, to: TxnState) {
    super(`transaction coordinator model: ${id} cannot go from ${from} to ${to} (TransactionMetadata's table forbids it)`);
  }
}

/** Kafka's Short.MaxValue: an epoch that cannot be bumped any more takes a new producer id. */
export const MAX_EPOCH = 32767;

export class TransactionMetadata {
  readonly transactionalId: string;
  producerId: number;
  /** The previous producer id (set when the epoch ran out), for retries of the request that changed it. */
  lastProducerId = -1;
  epoch: number;
  /** The epoch before the last bump, for retries (KIP-360, KIP-890). */
  lastEpoch = -1;
  timeoutMs: number;
  #state: TxnState = 'Empty';
  /** Partitions ("topic-p") and groups ("group:g") in the ongoing transaction. */
  readonly partitions = new Set<string>();
  /** When the ongoing transaction started (for the coordinator's timeout). */
  startedAt = -1;
  /** Under transactions v2 (KIP-890 part 2): the epoch is bumped by every EndTxn. */
  v2 = false;

  constructor(transactionalId: string, producerId: number, epoch: number, timeoutMs: number) {
    this.transactionalId = transactionalId;
    this.producerId = producerId;
    this.epoch = epoch;
    this.timeoutMs = timeoutMs;
  }

  get state(): TxnState {
    return this.#state;
  }

  transitionTo(next: TxnState): void {
    if (!VALID_PREVIOUS[next].includes(this.#state)) throw new IllegalTxnTransition(this.transactionalId, this.#state, next);
    this.#state = next;
  }

  /** Bumps the epoch, or takes `newProducerId` at epoch 0 when the epoch is exhausted (as prepareIncrementProducerEpoch). */
  bumpEpoch(newProducerId: () => number): void {
    this.lastEpoch = this.epoch;
    if (this.epoch >= MAX_EPOCH - 1) {
      this.lastProducerId = this.producerId;
      this.producerId = newProducerId();
      this.epoch = 0;
      return;
    }
    this.epoch++;
  }
}
