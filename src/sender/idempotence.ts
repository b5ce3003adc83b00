// The idempotent producer's state (the role of the Java client's
// TransactionManager for idempotence): the producer id and epoch, which
// partition may number new batches, and epoch bumps (KIP-360).
//
// Rules:
// - A batch numbered once keeps its id, epoch and sequence: it may be in the
//   log, and only the same numbers let the broker drop a duplicate.
// - A numbered batch that fails (or comes back surely unwritten, see
//   response-policy.ts) leaves a gap: its partition numbers nothing new and
//   asks for a bump, which waits until no partition that asked has a
//   numbered batch pending.
// - An idempotent producer bumps its epoch itself, as the Java client does:
//   the broker takes a higher epoch of the same id from sequence 0, and from
//   then on refuses the old epoch, so a late write of an old batch cannot
//   land after newer ones (with a new producer id it could: the broker keeps
//   each id's sequences apart). A new id is taken only when the epoch would
//   pass 32767.
// - After a bump, or a new id, a partition starts again at sequence 0 only
//   once its batches numbered under the old epoch are all done; until then
//   its new batches wait, so they cannot overtake older ones.

import { ProducerFatalError } from '../errors.js';
import type { InitProducerIdResponse } from '../protocol/apis/init-producer-id.js';
import { errorInfo, KafkaResponseError } from '../protocol/errors.js';
import type { PartitionQueue } from './partition-queue.js';

export interface ProducerIdHooks {
  /** InitProducerId for a new id. */
  initProducerId(): Promise<InitProducerIdResponse>;
  /** Calls `retry` after `ms`. */
  retryLater(ms: number, retry: () => void): void;
  wake(): void;
  /** The producer cannot get an id: every batch fails with this. */
  fatal(err: ProducerFatalError): void;
  bumped(from: { producerId: number; epoch: number }, to: { producerId: number; epoch: number }): void;
}

/** The highest epoch (an int16): past it, a new producer id. */
const MAX_EPOCH = 32767;

export class ProducerIds {
  readonly enabled: boolean;
  producerId = -1;
  epoch = -1;
  /** Epoch bumps done (KIP-360), for metrics. */
  bumps = 0;
  /** Why the last InitProducerId got no id (a broker unreachable, an answer refused); null once one is had. Batches that expire waiting for an id carry it as their cause. */
  lastError: Error | null = null;
  readonly #hooks: ProducerIdHooks;
  readonly #retryBackoffMs: number;
  #running = false;
  /** An InitProducerId failed: no other is sent until the backoff has passed (drains would otherwise ask again at once). */
  #backingOff = false;
  #fatal = false;
  /** Transactional: the id and its bumps come from the transaction manager (transaction-manager.ts), never from here. */
  transactional = false;

  constructor(enabled: boolean, retryBackoffMs: number, hooks: ProducerIdHooks) {
    this.enabled = enabled;
    this.#retryBackoffMs = retryBackoffMs;
    this.#hooks = hooks;
  }

  /** Batches may be drained: no id is needed, or there is one. */
  get ready(): boolean {
    return !this.enabled || this.producerId >= 0;
  }

  /** May a batch without a number be numbered in this partition now? Restarts stale partitions at 0 once they are clear. */
  mayNumber(q: PartitionQueue): boolean {
    if (!this.enabled) return true;
    if (q.sequenceProducerId === this.producerId && q.sequenceEpoch === this.epoch) return !q.needsBump;
    if (q.numberedPending) return false;
    q.restartSequences(this.producerId, this.epoch);
    return true;
  }

  isStale(producerId: number, epoch: number): boolean {
    return producerId !== this.producerId || epoch !== this.epoch;
  }

  /**
   * A numbered batch failed, or must be numbered again: its partition needs
   * a bump, unless one already happened since it was numbered (the
   * partition then starts again at 0 anyway).
   */
  gapAt(q: PartitionQueue, producerId: number, epoch: number): void {
    if (this.enabled && !this.isStale(producerId, epoch)) q.needsBump = true;
  }

  /** Gets the first id, or bumps the epoch when asked and safe. Called on every drain. */
  step(queues: Iterable<PartitionQueue>, haveBatches: boolean): void {
    if (!this.enabled || this.#running || this.#backingOff || this.#fatal || this.transactional) return;
    if (this.producerId < 0) {
      if (haveBatches) this.#init();
      return;
    }
    let asked = false;
    for (const q of queues) {
      // A partition numbered under an older epoch starts at 0 anyway: a bump since answered its ask.
      if (!q.needsBump || this.isStale(q.sequenceProducerId, q.sequenceEpoch)) continue;
      if (q.numberedPending) return;
      asked = true;
    }
    if (asked) this.#bump();
  }

  #bump(): void {
    const from = { producerId: this.producerId, epoch: this.epoch };
    this.bumps++;
    if (this.epoch >= MAX_EPOCH) {
      // Every partition is stale now and starts again at 0 under the new id.
      this.producerId = -1;
      this.epoch = -1;
      this.#init();
      return;
    }
    this.epoch++;
    this.#hooks.bumped(from, { producerId: this.producerId, epoch: this.epoch });
    this.#hooks.wake();
  }

  /** At start, as the Java client does: the id is ready before the first record. */
  start(): void {
    if (this.enabled && this.producerId < 0 && !this.#running && !this.#backingOff && !this.transactional) this.#init();
  }

  /** The transaction manager's InitProducerId answered: new batches are numbered under these. */
  adopt(producerId: number, epoch: number): void {
    this.producerId = producerId;
    this.epoch = epoch;
  }

  #backOff(): void {
    this.#backingOff = true;
    this.#hooks.retryLater(this.#retryBackoffMs, () => {
      this.#backingOff = false;
      this.#hooks.wake();
    });
  }

  #init(): void {
    this.#running = true;
    this.#hooks.initProducerId().then(
      (res) => {
        this.#running = false;
        if (res.errorCode === 0) {
          this.lastError = null;
          this.producerId = res.producerId;
          this.epoch = res.producerEpoch;
          this.#hooks.wake();
          return;
        }
        const info = errorInfo(res.errorCode);
        if (info.retriable) {
          this.#backOff();
          return;
        }
        this.#fatal = true;
        this.#hooks.fatal(
          new ProducerFatalError(
            `InitProducerId failed with ${info.name}: the idempotent producer cannot start (set enableIdempotence: false if the cluster does not allow it)`,
            new KafkaResponseError(res.errorCode, 'InitProducerId'),
          ),
        );
      },
      // Brokers not reachable yet, or an answer refused (response-checks.ts): batches wait, and expire after deliveryTimeoutMs.
      (err: unknown) => {
        this.#running = false;
        this.lastError = err instanceof Error ? err : new Error(String(err));
        this.#backOff();
      },
    );
  }
}
