// kafkajs's Producer over ours: connect() resolves the brokers, checks the
// options by making the default producer and proves the cluster reachable
// (a Metadata round trip, as kafkajs's connect makes); send()/sendBatch()
// check as kafkajs checks, then go through the producer for their acks and
// compression (lanes.ts); transaction() begins a transaction on the
// transactional producer. disconnect() flushes and closes them all.

import type { ProducerOptions } from '../config.js';
import { Cluster } from '../network/cluster.js';
import { KafkaJSError, KafkaJSNonRetriableError, toKafkaJSError } from './errors.js';
import { ProducerInstrumentation, PRODUCER_EVENTS, type InstrumentationEvent, type ProducerEventName, type RemoveInstrumentationEventListener } from './events.js';
import { codec, Lanes } from './lanes.js';
import { asProducerLogger, type KafkaJSLogger } from './logger.js';
import { checkBatch } from './messages.js';
import { connectionOptions, resolveProducer, type ResolvedProducer } from './options.js';
import { DefaultPartitioner, type ICustomPartitioner } from './partitioners.js';
import { sendMessages, type Partition } from './send-messages.js';
import { KafkaJSTransaction } from './transaction.js';
import type { KafkaConfig, ProducerBatch, ProducerConfig, ProducerRecord, RecordMetadata, Transaction } from './types.js';

type Status = 'disconnected' | 'connecting' | 'connected' | 'disconnecting';

export class Producer {
  readonly events = PRODUCER_EVENTS;
  readonly #kafka: KafkaConfig;
  readonly #options: ResolvedProducer;
  readonly #logger: KafkaJSLogger;
  readonly #instrumentation: ProducerInstrumentation;
  /** null: the DefaultPartitioner, done by our producer itself. */
  readonly #partition: Partition | null;
  #status: Status = 'disconnected';
  #lanes: Lanes | null = null;
  #connecting: Promise<void> | null = null;
  #initialized: Promise<void> | null = null;
  #transaction: KafkaJSTransaction | null = null;

  /** Made by kafka.producer(); `logger` is the client's root logger. */
  constructor(kafka: KafkaConfig, config: ProducerConfig, logger: KafkaJSLogger) {
    this.#kafka = kafka;
    this.#logger = logger.namespace('Producer');
    this.#options = resolveProducer(kafka, config ?? {}, this.#logger);
    const create: ICustomPartitioner = config?.createPartitioner ?? DefaultPartitioner;
    this.#partition = create === DefaultPartitioner ? null : create();
    this.#instrumentation = new ProducerInstrumentation(this.#logger);
  }

  logger(): KafkaJSLogger {
    return this.#logger;
  }

  isIdempotent(): boolean {
    return this.#options.idempotentByDefault;
  }

  on(eventName: ProducerEventName, listener: (event: InstrumentationEvent<unknown>) => unknown): RemoveInstrumentationEventListener {
    return this.#instrumentation.on(eventName, listener);
  }

  /** Concurrent calls share one connection attempt; once connected, connect() does nothing. */
  connect(): Promise<void> {
    if (this.#status === 'connected') return Promise.resolve();
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    this.#status = 'connecting';
    try {
      const brokers = typeof this.#kafka.brokers === 'function' ? await this.#kafka.brokers() : this.#kafka.brokers;
      const connection = connectionOptions(this.#kafka, brokers);
      const base: ProducerOptions = { ...connection, ...this.#options.shared, logger: asProducerLogger(this.#logger) };
      const lanes = new Lanes(base, { transactionalId: this.#options.transactionalId, transactionTimeoutMs: this.#options.transactionTimeout });
      // Makes the default producer now: a bad option fails connect() naming it, before any connection is tried.
      lanes.get({ acks: -1, compression: 'none', timeout: undefined });
      await probe(connection).catch(async (err: unknown) => {
        await lanes.close();
        throw err;
      });
      this.#lanes = lanes;
      // disconnect() during connect() wins: it closes these lanes once this returns.
      if (this.#status === 'connecting') this.#status = 'connected';
    } catch (err) {
      this.#status = 'disconnected';
      throw toKafkaJSError(err);
    }
    if (this.#status === 'connected') this.#instrumentation.emit(PRODUCER_EVENTS.CONNECT);
  }

  async disconnect(): Promise<void> {
    this.#status = 'disconnecting';
    try {
      await this.#connecting?.catch(() => undefined);
      await this.#lanes?.close();
    } finally {
      this.#lanes = null;
      this.#initialized = null;
      this.#transaction = null;
      this.#status = 'disconnected';
    }
    this.#instrumentation.emit(PRODUCER_EVENTS.DISCONNECT);
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    const { topic, messages, ...batch } = record ?? ({} as ProducerRecord);
    return this.sendBatch({ ...batch, topicMessages: [{ topic, messages }] });
  }

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    const { acks = -1, timeout, compression, topicMessages = [] } = batch ?? {};
    checkBatch(topicMessages, acks, this.#options.idempotent === true);
    const lanes = this.#usable();
    const producer = lanes.get({ acks: acks as -1 | 0 | 1, compression: codec(compression), timeout });
    return sendMessages(producer, topicMessages, acks, this.#partition);
  }

  async transaction(): Promise<Transaction> {
    if (!this.#options.transactionalId) throw new KafkaJSNonRetriableError('Must provide transactional id for transactional producer');
    if (this.#transaction?.isActive()) {
      throw new KafkaJSNonRetriableError('There is already an ongoing transaction for this producer. Please end the transaction before beginning another.');
    }
    const producer = this.#usable().transactional();
    try {
      // The producer id is taken once per connection.
      this.#initialized ??= producer.initTransactions().catch((err: unknown) => {
        this.#initialized = null;
        throw err;
      });
      await this.#initialized;
      producer.beginTransaction();
    } catch (err) {
      throw toKafkaJSError(err);
    }
    this.#transaction = new KafkaJSTransaction(producer, this.#partition, this.#logger, () => void this.#usable());
    return this.#transaction;
  }

  /** The lanes, when sends are allowed; kafkajs's errors otherwise. */
  #usable(): Lanes {
    if (this.#status === 'disconnecting') throw new KafkaJSNonRetriableError("The producer is disconnecting; therefore, it can't safely accept messages anymore");
    if (this.#status !== 'connected' || !this.#lanes) throw new KafkaJSError('The producer is disconnected');
    return this.#lanes;
  }
}

/** One Metadata request for no topic: the brokers answer, TLS and SASL pass, or connect() fails with why. */
async function probe(connection: ReturnType<typeof connectionOptions>): Promise<void> {
  const cluster = new Cluster({
    bootstrapServers: connection.bootstrapServers,
    clientId: connection.clientId,
    connectTimeoutMs: connection.connectTimeoutMs,
    requestTimeoutMs: connection.requestTimeoutMs,
    tls: connection.ssl === undefined || connection.ssl === false ? null : connection.ssl,
    sasl: connection.sasl ?? null,
  });
  try {
    await cluster.refreshMetadata([], false);
  } finally {
    await cluster.close();
  }
}
