// kafka-producer-ts: the public surface. Only what users import lives here.

export { KafkaProducer, type ProducerMetrics } from './producer.js';
export type { ProducerOptions, Acks, Serializer } from './config.js';
export type { Logger } from './diagnostics/logger.js';
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
export { SendResult, type RecordMetadata, type SendCallback } from './send-result.js';
export type { PartitionMetadata } from './sender/messages.js';
export type { Partitioner } from './partitioner/partitioner.js';
export * from './errors.js';
export { murmur2, partitionForKey } from './partitioner/murmur2.js';
export * from './protocol/index.js';
export { Connection, type ConnectionOptions } from './network/connection.js';
export { Cluster, BootstrapError, parseBootstrapServers, type ClusterOptions } from './network/cluster.js';
export { MetadataCache, type BrokerInfo, type PartitionInfo, type TopicInfo } from './network/metadata-cache.js';
