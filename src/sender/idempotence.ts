// The idempotent producer's state (the role of the Java client's
// TransactionManager for idempotence): the producer id and epoch, which
// partition may number new batches, and epoch bumps (KIP-360).
//
// Rules:
// - A batch numbered once keeps its id, epoch and sequence: it may be in the
//   log, and only the same numbers let the broker drop a duplicate.
// - A numbered batch that fails (or comes back surely unwritten, see
//   response-policy.ts) leaves a gap: its partition numbers nothing new and
//   asks for a bump. The bump (InitProducerId with the current id and epoch)
//   waits until no partition that asked has a numbered batch pending.
// - After a bump, or a new id, a partition starts again at sequence 0 only
//   once its batches numbered under the old epoch are all done; until then
//   its new batches wait, so they cannot overtake older ones.
// - A new producer id is taken only when the broker cannot bump
//   (InitProducerId below v3) or refuses to.

import { ProducerFatalError } from '../errors.js';
import type { InitProducerIdResponse } from '../protocol/apis/init-producer-id.js';
import { errorInfo, KafkaResponseError } from '../protocol/errors.js';
import type { PartitionQueue } from './partition-queue.js';

export interface ProducerIdHooks {
  /** InitProducerId with these id and epoch (-1, -1: a new id); `bump`: whether the broker can bump (v3+). */
  initProducerId(producerId: number, epoch: number): Promise<{ res: InitProducerIdResponse; canBump: boolean }>;
  retryLater(ms: number): void;
  wake(): void;
  /** The producer cannot get an id: every batch fails with this. */
  fatal(err: ProducerFatalError): void;
  bumped(from: { producerId: number; epoch: number }, to: { producerId: number; epoch: number }): void;
}

export class ProducerIds {
  readonly enabled: boolean;
  producerId = -1;
  epoch = -1;
  /** Epoch bumps done (KIP-360), for metrics. */
  bumps = 0;
  readonly #hooks: ProducerIdHooks;
  readonly #retryBackoffMs: number;
  #running = false;
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
    if (!this.enabled || this.#running || this.#fatal || this.transactional) return;
    if (this.producerId < 0) {
      if (haveBatches) this.#init(-1, -1);
      return;
    }
    let asked = false;
    for (const q of queues) {
      // A partition numbered under an older epoch starts at 0 anyway: a bump since answered its ask.
      if (!q.needsBump || this.isStale(q.sequenceProducerId, q.sequenceEpoch)) continue;
      if (q.numberedPending) return;
      asked = true;
    }
    if (asked) this.#init(this.producerId, this.epoch);
  }

  /** At start, as the Java client does: the id is ready before the first record. */
  start(): void {
    if (this.enabled && this.producerId < 0 && !this.#running && !this.transactional) this.#init(-1, -1);
  }

  /** The transaction manager's InitProducerId answered: new batches are numbered under these. */
  adopt(producerId: number, epoch: number): void {
    this.producerId = producerId;
    this.epoch = epoch;
  }

  #init(producerId: number, epoch: number): void {
    this.#running = true;
    const from = { producerId: this.producerId, epoch: this.epoch };
    this.#hooks.initProducerId(producerId, epoch).then(
      ({ res, canBump }) => {
        this.#running = false;
        if (res.errorCode === 0) {
          this.producerId = res.producerId;
          this.epoch = res.producerEpoch;
          if (from.producerId >= 0) {
            this.bumps++;
            this.#hooks.bumped(from, { producerId: this.producerId, epoch: this.epoch });
          }
          this.#hooks.wake();
          return;
        }
        const info = errorInfo(res.errorCode);
        if (info.retriable) {
          this.#hooks.retryLater(this.#retryBackoffMs);
          return;
        }
        // A bump refused (or not possible): a new id does as well, since nothing numbered is pending.
        if (producerId >= 0 || !canBump) {
          this.producerId = -1;
          this.epoch = -1;
          this.#hooks.wake();
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
      // Brokers not reachable yet: batches wait, and expire after deliveryTimeoutMs.
      () => {
        this.#running = false;
        this.#hooks.retryLater(this.#retryBackoffMs);
      },
    );
  }
}
