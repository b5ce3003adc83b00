// kafka-producer-ts/kafkajs: kafkajs 2.x's producer API over kafka-producer-ts,
// so that changing `from 'kafkajs'` to `from 'kafka-producer-ts/kafkajs'`
// moves a producing service over. docs/migrating-from-kafkajs.md says what
// becomes of each option and where behaviour differs.

export { Kafka } from './kafka.js';
export { Producer } from './producer.js';
export type { KafkaJSTransaction } from './transaction.js';
export { Partitioners, DefaultPartitioner, LegacyPartitioner, type ICustomPartitioner, type PartitionerArgs, type PartitionMetadata } from './partitioners.js';
export { logLevel, type logCreator, type LogEntry, type KafkaJSLogger as Logger } from './logger.js';
export { PRODUCER_EVENTS, type ProducerEvents, type InstrumentationEvent, type RemoveInstrumentationEventListener } from './events.js';
export {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSConnectionError,
  KafkaJSConnectionClosedError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
  KafkaJSTimeout,
} from './errors.js';
export {
  CompressionTypes,
  type Message,
  type IHeaders,
  type ProducerRecord,
  type ProducerBatch,
  type TopicMessages,
  type RecordMetadata,
  type KafkaConfig,
  type ProducerConfig,
  type RetryOptions,
  type SASLOptions,
  type BrokersFunction,
  type PartitionOffset,
  type TopicOffsets,
  type Offsets,
  type Sender,
  type Transaction,
} from './types.js';

import { CompressionTypes } from './types.js';

/**
 * kafkajs's codec registry, kept so that `CompressionCodecs[CompressionTypes.Snappy] = ...`
 * still runs: every codec is built in, and what is assigned here is not used.
 */
export const CompressionCodecs: Partial<Record<CompressionTypes, unknown>> = {};
