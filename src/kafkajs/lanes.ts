// The producers behind one kafkajs producer. kafkajs takes acks,
// compression and timeout per send; ours fixes them per producer. So each
// distinct (acks, compression, timeout) gets its own producer, made on first
// use and kept until disconnect(); a service that always sends the same way
// has exactly one. Transactions use one more producer, with the
// transactionalId. Each has its own connections and (when idempotent) its
// own producer id.

import type { ProducerOptions } from '../config.js';
import { KafkaProducer } from '../producer.js';
import type { CompressionType } from '../protocol/compression.js';
import { KafkaJSNonRetriableError, toKafkaJSError } from './errors.js';
import type { SharedOptions } from './options.js';
import { CompressionTypes } from './types.js';

const CODECS: Readonly<Record<CompressionTypes, CompressionType>> = {
  [CompressionTypes.None]: 'none',
  [CompressionTypes.GZIP]: 'gzip',
  [CompressionTypes.Snappy]: 'snappy',
  [CompressionTypes.LZ4]: 'lz4',
  [CompressionTypes.ZSTD]: 'zstd',
};

/** Our codec for a kafkajs CompressionTypes value (undefined: none). */
export function codec(compression: CompressionTypes | undefined): CompressionType {
  const name = CODECS[compression ?? CompressionTypes.None];
  if (name === undefined) throw new KafkaJSNonRetriableError(`Compression type ${String(compression)} is unknown: use CompressionTypes.None, GZIP, Snappy, LZ4 or ZSTD (all built in)`);
  return name;
}

export interface Setting {
  acks: -1 | 0 | 1;
  compression: CompressionType;
  /** kafkajs's per-send timeout: the Produce request's timeout (our requestTimeoutMs); undefined: the client's requestTimeout. */
  timeout: number | undefined;
}

export class Lanes {
  readonly #base: ProducerOptions;
  readonly #transactional: Pick<ProducerOptions, 'transactionalId' | 'transactionTimeoutMs'>;
  readonly #byKey = new Map<string, KafkaProducer>();
  #last: { key: string; producer: KafkaProducer } | null = null;
  #txn: KafkaProducer | null = null;

  /** `base`: connection and shared options; transactions get `transactional` on top. */
  constructor(base: ProducerOptions, transactional: Pick<ProducerOptions, 'transactionalId' | 'transactionTimeoutMs'>) {
    this.#base = base;
    this.#transactional = transactional;
  }

  /** The producer for a setting, made now if it is the first send of that setting. */
  get(s: Setting): KafkaProducer {
    const key = `${s.acks}/${s.compression}/${s.timeout ?? ''}`;
    // Most services send one way only: skip the map.
    if (this.#last?.key === key) return this.#last.producer;
    let producer = this.#byKey.get(key);
    if (!producer) {
      producer = this.#make({ acks: s.acks, compressionType: s.compression, requestTimeoutMs: s.timeout ?? this.#base.requestTimeoutMs });
      this.#byKey.set(key, producer);
    }
    this.#last = { key, producer };
    return producer;
  }

  /** The transactional producer (acks all, uncompressed), made on the first transaction. */
  transactional(): KafkaProducer {
    this.#txn ??= this.#make({ acks: 'all', compressionType: 'none', ...this.#transactional, enableIdempotence: undefined });
    return this.#txn;
  }

  #make(options: Partial<ProducerOptions>): KafkaProducer {
    try {
      return new KafkaProducer({ ...this.#base, ...options });
    } catch (err) {
      throw toKafkaJSError(err);
    }
  }

  /** Flushes and closes every producer (an open transaction is aborted); the lanes are then empty. */
  async close(): Promise<void> {
    const all = [...this.#byKey.values(), ...(this.#txn ? [this.#txn] : [])];
    this.#byKey.clear();
    this.#last = null;
    this.#txn = null;
    await Promise.all(all.map((p) => p.close()));
  }
}
