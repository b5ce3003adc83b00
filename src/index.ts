// kafka-producer-ts: the public surface. Only what users import lives here.

export * from './protocol/index.js';
export { Connection, type ConnectionOptions } from './network/connection.js';
export { Cluster, BootstrapError, parseBootstrapServers, type ClusterOptions } from './network/cluster.js';
export { MetadataCache, type BrokerInfo, type PartitionInfo, type TopicInfo } from './network/metadata-cache.js';
export * from './network/errors.js';
export { murmur2, partitionForKey } from './partitioner/murmur2.js';
