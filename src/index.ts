// kafka-producer-ts: the public surface. Only what users import lives here;
// the wire protocol is the separate subpath kafka-producer-ts/protocol
// (src/protocol/index.ts), and connections and metadata are internal.

export { KafkaProducer, type ProducerMetrics, type ProducerEvents, type FailedRecord } from './producer.js';
export type { ProducerOptions, Acks, Serializer, Bytes } from './config.js';
export type { CompressionType } from './protocol/compression.js';
export type { Logger } from './diagnostics/logger.js';
export type { SaslOptions, OAuthBearerToken } from './network/sasl/session.js';
export type { TlsOptions } from './network/tls.js';
export {
  CHANNELS,
  type SendContext,
  type ProduceContext,
  type ProducePartition,
  type RetryEvent,
  type MetadataEvent,
  type ConnectionEvent,
  type CallbackErrorEvent,
} from './diagnostics/channels.js';
export type { ProducerRecord, HeaderValue } from './record.js';
export type { ProducerWritable, WritableOptions, StreamRecord } from './writable.js';
export { SendResult, type RecordMetadata, type SendCallback } from './send-result.js';
export type { PartitionMetadata, GroupMetadata, TransactionOffset } from './sender/messages.js';
export type { Partitioner } from './partitioner/partitioner.js';
export * from './errors.js';
export { murmur2, partitionForKey } from './partitioner/murmur2.js';
