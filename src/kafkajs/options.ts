// kafkajs's client and producer options turned into our ProducerOptions, once
// per kafka.producer(). Each option is honoured, refused with a
// KafkaJSNonRetriableError naming it, or (where it cannot change what is
// sent) reported by a warning through the kafkajs logger; none is dropped
// without a word. docs/migrating-from-kafkajs.md lists each one.

import type { ProducerOptions } from '../config.js';
import type { SaslOptions } from '../network/sasl/session.js';
import { KafkaJSNonRetriableError } from './errors.js';
import type { KafkaJSLogger } from './logger.js';
import type { KafkaConfig, ProducerConfig, RetryOptions } from './types.js';

const KAFKA_OPTIONS = new Set(['brokers', 'ssl', 'sasl', 'clientId', 'connectionTimeout', 'authenticationTimeout', 'reauthenticationThreshold', 'requestTimeout', 'enforceRequestTimeout', 'retry', 'socketFactory', 'logLevel', 'logCreator']);
const PRODUCER_OPTIONS = new Set(['createPartitioner', 'retry', 'metadataMaxAge', 'allowAutoTopicCreation', 'idempotent', 'transactionalId', 'transactionTimeout', 'maxInFlightRequests']);
const INT_MAX = 2147483647;

/** What every underlying producer of one kafka.producer() shares; acks, compression and the request timeout are set per send. */
export type SharedOptions = Omit<ProducerOptions, 'bootstrapServers' | 'clientId' | 'ssl' | 'sasl' | 'connectTimeoutMs' | 'requestTimeoutMs' | 'acks' | 'compressionType' | 'transactionalId' | 'transactionTimeoutMs'>;

export interface ResolvedProducer {
  shared: SharedOptions;
  /** kafkajs's idempotent option as given: true requires acks -1 on every send. */
  idempotent: boolean | undefined;
  /** Whether the default (acks -1) producer is idempotent: yes unless turned off or in conflict. */
  idempotentByDefault: boolean;
  requestTimeout: number | undefined;
  transactionalId: string | undefined;
  transactionTimeout: number | undefined;
}

/** Checks the options kafkajs takes on new Kafka(): what cannot be honoured is an error here. */
export function checkKafkaConfig(config: KafkaConfig, logger: KafkaJSLogger): void {
  if (typeof config !== 'object' || config === null) throw new KafkaJSNonRetriableError('new Kafka() takes a config object with at least brokers');
  if (!Array.isArray(config.brokers) && typeof config.brokers !== 'function') throw new KafkaJSNonRetriableError('Failed to connect: brokers parameter should not be null');
  if (config.socketFactory !== undefined) {
    throw new KafkaJSNonRetriableError('socketFactory is not supported by kafka-producer-ts/kafkajs: connections are made by the producer on its own thread; remove it (use ssl for TLS)');
  }
  if (config.sasl?.mechanism === 'aws') throw new KafkaJSNonRetriableError("SASL mechanism 'aws' is not supported by kafka-producer-ts; use plain, scram-sha-256, scram-sha-512 or oauthbearer");
  warnUnknown(config, KAFKA_OPTIONS, 'new Kafka()', logger);
  for (const name of ['authenticationTimeout', 'reauthenticationThreshold'] as const) {
    if (config[name] !== undefined) logger.warn(`${name} is not used: authentication is bounded by requestTimeout, and re-authentication follows the broker's session lifetime (KIP-368)`, { option: name });
  }
  if (config.enforceRequestTimeout === false) logger.warn('enforceRequestTimeout: false is not used: every request is bounded by requestTimeout', { option: 'enforceRequestTimeout' });
}

function warnUnknown(config: object, known: Set<string>, where: string, logger: KafkaJSLogger): void {
  for (const key of Object.keys(config)) if (!known.has(key)) logger.warn(`${key} is not a ${where} option of kafkajs: not used`, { option: key });
}

function sasl(config: KafkaConfig['sasl']): SaslOptions | undefined {
  if (config === undefined) return undefined;
  if (config.mechanism === 'oauthbearer') {
    const provider = config.oauthBearerProvider;
    return { mechanism: 'oauthbearer', token: async () => ({ value: (await provider()).value }) };
  }
  return config as SaslOptions;
}

/** The connection options every producer and the connect() probe use. */
export function connectionOptions(config: KafkaConfig, brokers: string[]): Pick<ProducerOptions, 'bootstrapServers' | 'clientId' | 'ssl' | 'sasl' | 'connectTimeoutMs' | 'requestTimeoutMs'> {
  return {
    bootstrapServers: brokers,
    clientId: config.clientId,
    ssl: config.ssl === false ? undefined : config.ssl,
    sasl: sasl(config.sasl),
    connectTimeoutMs: config.connectionTimeout,
    requestTimeoutMs: config.requestTimeout,
  };
}

function retryOptions(retry: RetryOptions, logger: KafkaJSLogger): Pick<ProducerOptions, 'retries' | 'retryBackoffMs' | 'retryBackoffMaxMs'> {
  for (const name of ['factor', 'multiplier', 'restartOnFailure'] as const) {
    if (retry[name] !== undefined) logger.warn(`retry.${name} is not used: retries back off exponentially from initialRetryTime to maxRetryTime with 20% jitter, as the Java client does`, { option: `retry.${name}` });
  }
  return {
    retries: retry.retries === undefined ? undefined : Math.min(retry.retries, INT_MAX),
    retryBackoffMs: retry.initialRetryTime,
    retryBackoffMaxMs: retry.maxRetryTime,
  };
}

export function resolveProducer(kafka: KafkaConfig, config: ProducerConfig, logger: KafkaJSLogger): ResolvedProducer {
  warnUnknown(config, PRODUCER_OPTIONS, 'kafka.producer()', logger);
  // The producer's retry settings win over the client's, one by one (as kafkajs merges them).
  const retry: RetryOptions = { ...kafka.retry, ...config.retry };
  const { idempotent, maxInFlightRequests } = config;
  if (idempotent === true && retry.retries !== undefined && retry.retries < 1) {
    throw new KafkaJSNonRetriableError('Idempotent producer must allow retries to protect against transient errors');
  }
  if (config.allowAutoTopicCreation === false) {
    logger.warn("allowAutoTopicCreation: false is not used: whether a topic is created on first use is the broker's auto.create.topics.enable", { option: 'allowAutoTopicCreation' });
  }
  // kafkajs is not idempotent unless asked; more than 5 in flight is allowed only without idempotence.
  const tooManyInFlight = maxInFlightRequests !== undefined && maxInFlightRequests !== null && maxInFlightRequests > 5;
  if (tooManyInFlight && idempotent === true) {
    throw new KafkaJSNonRetriableError(`maxInFlightRequests ${maxInFlightRequests} is more than 5, the most an idempotent producer may have in flight; use 5 or fewer`);
  }
  const enableIdempotence = idempotent === false || tooManyInFlight ? false : idempotent === true ? true : undefined;
  const shared: SharedOptions = {
    ...retryOptions(retry, logger),
    maxInFlightRequestsPerConnection: maxInFlightRequests ?? undefined,
    metadataMaxAgeMs: config.metadataMaxAge,
    enableIdempotence,
  };
  return {
    shared,
    idempotent,
    idempotentByDefault: enableIdempotence ?? retry.retries !== 0,
    requestTimeout: kafka.requestTimeout,
    transactionalId: config.transactionalId,
    transactionTimeout: config.transactionTimeout,
  };
}
