// Metadata refreshes for the sender: on demand (a leader moved or is
// missing, a topic is new, a connection failed) and every metadataMaxAgeMs.
// Demands coalesce: one request at a time, and after one answers the next
// waits retryBackoffMs, so a leaderless partition costs one Metadata request
// per backoff, not one per drain.

import type { MetadataCache } from '../network/metadata-cache.js';
import { KafkaResponseError } from '../protocol/errors.js';
import type { Clock } from './clock.js';
import type { TopicMetadata } from './messages.js';
import type { Transport } from './transport.js';
import { serializeError } from './wire-errors.js';

export interface RefresherHooks {
  /** The topics to ask about. */
  topics(): Iterable<string>;
  published(metadata: TopicMetadata): void;
  /** Leaders of the topics asked about, answered: connect to them early. */
  leaders(nodeIds: Set<number>): void;
  refreshed(): void;
}

export class MetadataRefresher {
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #backoffMs: number;
  readonly #maxAgeMs: number;
  readonly #hooks: RefresherHooks;
  #running = false;
  /** Asked for while one ran or while backing off. */
  #wanted = false;
  #timer: unknown = null;
  /** When the last refresh started and ended (ms); -Infinity before the first. */
  #lastStart = -Infinity;
  #lastEnd = -Infinity;
  requests = 0;
  #closed = false;

  constructor(transport: Transport, clock: Clock, backoffMs: number, maxAgeMs: number, hooks: RefresherHooks) {
    this.#transport = transport;
    this.#clock = clock;
    this.#backoffMs = backoffMs;
    this.#maxAgeMs = maxAgeMs;
    this.#hooks = hooks;
  }

  /** When the periodic refresh is due. */
  get dueAt(): number {
    return this.#lastStart + this.#maxAgeMs;
  }

  /** Asks for a refresh: now if none ran within retryBackoffMs, else once that has passed. */
  request(): void {
    if (this.#closed) return;
    if (this.#running || this.#timer !== null) {
      this.#wanted = true;
      return;
    }
    const wait = this.#lastEnd + this.#backoffMs - this.#clock.now();
    if (wait > 0) {
      this.#wanted = true;
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = null;
        if (this.#wanted) this.request();
      }, wait);
      return;
    }
    this.#wanted = false;
    this.#run();
  }

  /** A topic the producer has not seen: ask now, without the backoff (a new topic is not a storm). */
  requestNow(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#wanted = true;
      return;
    }
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#wanted = false;
    this.#run();
  }

  /** The periodic refresh, if due. */
  tick(now: number): void {
    if (now >= this.dueAt) this.request();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #run(): void {
    this.#running = true;
    this.#lastStart = this.#clock.now();
    this.requests++;
    const topics = [...this.#hooks.topics()];
    this.#transport.refreshMetadata(topics, true).then(
      (md) => {
        if (this.#closed) return;
        for (const name of topics) this.#hooks.published(topicMetadata(md, name));
        const leaders = new Set<number>();
        for (const name of topics) for (const p of md.topic(name)?.partitions ?? []) if (p && p.leader >= 0) leaders.add(p.leader);
        this.#hooks.leaders(leaders);
        this.#done();
      },
      (err: unknown) => {
        if (this.#closed) return;
        for (const name of topics) {
          this.#hooks.published({ topic: name, partitionCount: 0, available: [], partitions: [], errorCode: -1, error: serializeError(err) });
        }
        this.#done();
      },
    );
  }

  #done(): void {
    this.#running = false;
    this.#lastEnd = this.#clock.now();
    this.#hooks.refreshed();
    if (this.#wanted) this.request();
  }
}

function topicMetadata(md: MetadataCache, name: string): TopicMetadata {
  const t = md.topic(name);
  if (!t) return { topic: name, partitionCount: 0, available: [], partitions: [], errorCode: 3, error: null };
  return {
    topic: name,
    partitionCount: t.errorCode === 0 ? t.partitions.length : 0,
    available: t.partitions.filter((p) => p && p.leader >= 0).map((p) => p.partition),
    partitions: t.partitions.map((p) => ({ partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr })),
    errorCode: t.errorCode,
    error: t.errorCode === 0 ? null : serializeError(new KafkaResponseError(t.errorCode, `Metadata for topic ${name}`)),
  };
}
