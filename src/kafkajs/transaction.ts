// A kafkajs transaction over our transactional producer: send and
// sendBatch inside it, sendOffsets, commit, abort. Once committed or
// aborted it refuses every call, with kafkajs's message; a failed commit
// leaves it active, so abort() can follow, as in kafkajs.

import type { KafkaProducer } from '../producer.js';
import type { TransactionOffset } from '../sender/messages.js';
import { KafkaJSNonRetriableError, toKafkaJSError } from './errors.js';
import type { KafkaJSLogger } from './logger.js';
import { checkBatch } from './messages.js';
import { sendMessages, type Partition } from './send-messages.js';
import { CompressionTypes, type Offsets, type ProducerBatch, type ProducerRecord, type RecordMetadata, type Transaction } from './types.js';

export class KafkaJSTransaction implements Transaction {
  readonly #producer: KafkaProducer;
  readonly #partition: Partition | null;
  readonly #logger: KafkaJSLogger;
  /** Whether the producer still fits for sends (connected, not disconnecting). */
  readonly #usable: () => void;
  #ended = false;

  constructor(producer: KafkaProducer, partition: Partition | null, logger: KafkaJSLogger, usable: () => void) {
    this.#producer = producer;
    this.#partition = partition;
    this.#logger = logger;
    this.#usable = usable;
  }

  isActive(): boolean {
    return !this.#ended;
  }

  #guard(): void {
    if (this.#ended) throw new KafkaJSNonRetriableError('Cannot continue to use transaction once ended');
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    this.#guard();
    const { topic, messages, ...batch } = record ?? ({} as ProducerRecord);
    return this.sendBatch({ ...batch, topicMessages: [{ topic, messages }] });
  }

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    this.#guard();
    const { acks = -1, compression, topicMessages = [] } = batch ?? {};
    checkBatch(topicMessages, acks, true);
    this.#usable();
    if (compression !== undefined && compression !== CompressionTypes.None) {
      this.#logger.warn('compression is not applied inside a transaction: the transactional producer sends uncompressed (compression is fixed per producer, and a transaction has one producer)', {
        compression: CompressionTypes[compression],
      });
    }
    return sendMessages(this.#producer, topicMessages, acks, this.#partition);
  }

  async sendOffsets({ consumerGroupId, topics }: Offsets & { consumerGroupId: string }): Promise<void> {
    this.#guard();
    const offsets: TransactionOffset[] = [];
    for (const { topic, partitions } of topics ?? []) {
      for (const { partition, offset } of partitions) offsets.push({ topic, partition, offset: Number(offset) });
    }
    await this.#step(() => this.#producer.sendOffsetsToTransaction(offsets, { groupId: consumerGroupId }));
  }

  async commit(): Promise<void> {
    this.#guard();
    await this.#step(() => this.#producer.commitTransaction());
    this.#ended = true;
  }

  async abort(): Promise<void> {
    this.#guard();
    await this.#step(() => this.#producer.abortTransaction());
    this.#ended = true;
  }

  async #step(run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      throw toKafkaJSError(err);
    }
  }
}
