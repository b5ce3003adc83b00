// Sends that cannot be appended yet: their topic (or partition) is not in
// metadata, or buffer memory is spent. Each waits in a FIFO of its own kind,
// so order holds per topic (unknown topic), per missing partition, and per
// partition (memory), while sends that can go, go. Each has its own
// maxBlockMs deadline; deadlines follow arrival order, so a queue's head is
// always its first to expire. Waiting sends hold their records' bytes, so
// they are bounded (the producer says how far): past the bound a send fails
// at once.

import type { TopicPartition } from './accumulator/record-accumulator.js';
import { Fifo } from './accumulator/fifo.js';
import type { CheckedRecord } from './record.js';
import type { SendResult } from './send-result.js';
import { systemClock, type Clock } from './sender/clock.js';

export interface Waiting {
  readonly id: number;
  readonly record: CheckedRecord;
  readonly result: SendResult;
  readonly deadline: number;
  /** Chosen once metadata is known; kept while waiting for memory. */
  tp: TopicPartition | null;
}

/** What an append attempt says: appended (or failed for good), or what it waits for. */
export type Attempt = { wait: 'none' } | { wait: 'metadata'; partition: number | null } | { wait: 'memory'; tp: TopicPartition };

export const APPENDED: Attempt = { wait: 'none' };

export interface WaitingHost {
  /** Tries to append (or fail for good) a record. */
  attempt(w: Waiting, now: number): Attempt;
  /** Fails a send whose maxBlockMs ran out. */
  expire(w: Waiting): void;
  /** Asks for the topic's metadata (the host throttles it). */
  requestMetadata(topic: string, now: number): void;
  /** Nothing waits any more: paced writers may go on. */
  drained(): void;
}

/** Key of a metadata queue: the topic, or the topic and a partition it does not have yet. */
function metadataKey(topic: string, partition: number | null): string {
  return partition === null ? topic : `${topic}\u0000${partition}`;
}

export class WaitingSends {
  readonly #host: WaitingHost;
  readonly #maxBlockMs: number;
  readonly #metadataRetryMs: number;
  /** Waiting for metadata, by topic or topic + missing partition. */
  readonly #forMetadata = new Map<string, Fifo<Waiting>>();
  /** Waiting for memory, by partition, in the order the partitions started waiting. */
  readonly #forMemory = new Map<TopicPartition, Fifo<Waiting>>();
  #count = 0;
  #bytes = 0;
  #nextId = 1;
  /** The producer's time: a test's clock moves maxBlockMs deadlines as it moves the Sender's. */
  readonly #clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  #timer: unknown = null;
  #timerAt = Infinity;

  constructor(host: WaitingHost, maxBlockMs: number, metadataRetryMs: number, clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'> = systemClock) {
    this.#host = host;
    this.#clock = clock;
    this.#maxBlockMs = maxBlockMs;
    this.#metadataRetryMs = metadataRetryMs;
  }

  get size(): number {
    return this.#count;
  }

  /** Serialized bytes the waiting sends hold. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether a send of this size may wait within `allowance` bytes, or must fail at once; a lone send may always wait. */
  hasRoomFor(size: number, allowance: number): boolean {
    return this.#count === 0 || this.#bytes + size <= allowance;
  }

  /** Ids below this one are all out of the queues once `oldestId` passes it (flush reads it). */
  get nextId(): number {
    return this.#nextId;
  }

  /** The smallest id still waiting, or nextId when none is. */
  get oldestId(): number {
    let oldest = this.#nextId;
    for (const q of this.#forMetadata.values()) oldest = Math.min(oldest, q.peek()?.id ?? oldest);
    for (const q of this.#forMemory.values()) oldest = Math.min(oldest, q.peek()?.id ?? oldest);
    return oldest;
  }

  /** Whether a new send to this topic must queue behind others (order per topic while its metadata is awaited). */
  topicBlocked(topic: string): boolean {
    // Asked on every send: most of the time nothing waits at all.
    return this.#forMetadata.size > 0 && this.#forMetadata.has(topic);
  }

  /** Whether a new send to this partition must queue behind others waiting for memory. */
  partitionBlocked(tp: TopicPartition): boolean {
    return this.#forMemory.size > 0 && this.#forMemory.has(tp);
  }

  add(record: CheckedRecord, result: SendResult, now: number, attempt: Attempt): void {
    const w: Waiting = { id: this.#nextId++, record, result, deadline: now + this.#maxBlockMs, tp: attempt.wait === 'memory' ? attempt.tp : null };
    this.#count++;
    this.#bytes += record.soloSize;
    this.#enqueue(w, attempt);
    this.#arm(now);
  }

  #enqueue(w: Waiting, attempt: Attempt): void {
    if (attempt.wait === 'memory') {
      w.tp = attempt.tp;
      push(this.#forMemory, attempt.tp, w);
    } else {
      push(this.#forMetadata, metadataKey(w.record.topic, attempt.wait === 'metadata' ? attempt.partition : null), w);
    }
  }

  /** Metadata for `topic` arrived: its waiting sends may go on. */
  onMetadata(topic: string, now: number): void {
    for (const [key, q] of this.#forMetadata) {
      if (q.peek()?.record.topic === topic) this.#drainMetadataQueue(key, q, now);
    }
    this.#settleDown(now);
  }

  /** Memory came free: partitions waiting for it go, the longest-waiting first. */
  onMemory(now: number): void {
    if (this.#forMemory.size === 0) return;
    for (const [tp, q] of this.#forMemory) {
      for (let w = q.peek(); w; w = q.peek()) {
        const a = this.#host.attempt(w, now);
        if (a.wait !== 'none') break;
        q.shift();
        this.#done(w);
      }
      if (q.size === 0) this.#forMemory.delete(tp);
    }
    this.#settleDown(now);
  }

  /** The cluster refused the topic for good (invalid name, not authorized): its sends waiting for metadata fail now. */
  failTopic(topic: string, err: Error): void {
    for (const [key, q] of this.#forMetadata) {
      if (q.peek()?.record.topic !== topic) continue;
      this.#forMetadata.delete(key);
      for (const w of q.drain()) {
        this.#done(w);
        w.result.settle(err, -1, -1);
      }
    }
    this.#settleDown(this.#clock.now());
  }

  /** Fails everything still waiting with `err` (close, a fatal error). */
  failAll(err: Error): void {
    const all = [...this.#forMetadata.values(), ...this.#forMemory.values()].flatMap((q) => q.drain());
    this.#forMetadata.clear();
    this.#forMemory.clear();
    for (const w of all) {
      this.#done(w);
      w.result.settle(err, -1, -1);
    }
    this.#disarm();
    this.#settleDown(this.#clock.now());
  }

  #drainMetadataQueue(key: string, q: Fifo<Waiting>, now: number): void {
    for (let w = q.peek(); w; w = q.peek()) {
      const a = this.#host.attempt(w, now);
      if (a.wait === 'metadata' && metadataKey(w.record.topic, a.partition) === key) break;
      q.shift();
      if (a.wait === 'none') this.#done(w);
      // Its wait changed (memory now, or another missing partition): it keeps its place in arrival order there.
      else this.#enqueue(w, a);
    }
    if (q.size === 0) this.#forMetadata.delete(key);
  }

  #done(w: Waiting): void {
    this.#count--;
    this.#bytes -= w.record.soloSize;
  }

  /** Expires what is due, asks again for missing metadata, and re-arms the timer. */
  #onTimer(): void {
    const now = this.#clock.now();
    for (const [key, q] of this.#forMetadata) {
      // A due retry may find the metadata arrived meanwhile (or still missing: ask again).
      this.#drainMetadataQueue(key, q, now);
      this.#expireHeads(q, now);
      if (q.size === 0) this.#forMetadata.delete(key);
      else this.#host.requestMetadata((q.peek() as Waiting).record.topic, now);
    }
    for (const [tp, q] of this.#forMemory) {
      this.#expireHeads(q, now);
      if (q.size === 0) this.#forMemory.delete(tp);
    }
    this.#settleDown(now);
  }

  #expireHeads(q: Fifo<Waiting>, now: number): void {
    for (let w = q.peek(); w && w.deadline <= now; w = q.peek()) {
      q.shift();
      this.#done(w);
      this.#host.expire(w);
    }
  }

  #settleDown(now: number): void {
    if (this.#count === 0) {
      this.#disarm();
      this.#host.drained();
      return;
    }
    this.#arm(now);
  }

  #arm(now: number): void {
    let at = Infinity;
    for (const q of this.#forMetadata.values()) at = Math.min(at, (q.peek() as Waiting).deadline, now + this.#metadataRetryMs);
    for (const q of this.#forMemory.values()) at = Math.min(at, (q.peek() as Waiting).deadline);
    if (at >= this.#timerAt) return;
    this.#disarm();
    if (at === Infinity) return;
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.#timerAt = Infinity;
      this.#onTimer();
    }, Math.max(0, at - now));
  }

  #disarm(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
  }
}

function push<K>(map: Map<K, Fifo<Waiting>>, key: K, w: Waiting): void {
  let q = map.get(key);
  if (!q) map.set(key, (q = new Fifo<Waiting>()));
  q.push(w);
}
