// The protocol layer's public surface, published as the subpath
// kafka-producer-ts/protocol: bytes only, no sockets, no timers. Its
// layout is described in docs/protocol.md.

export * from './api.js';
export * from './errors.js';
export * from './reader.js';
export * from './writer.js';
export * from './apis/api-versions.js';
export * from './apis/metadata.js';
export * from './apis/produce.js';
export * from './apis/init-producer-id.js';
export * from './apis/find-coordinator.js';
export * from './apis/add-partitions-to-txn.js';
export * from './apis/add-offsets-to-txn.js';
export * from './apis/end-txn.js';
export * from './apis/txn-offset-commit.js';
export * from './apis/sasl.js';
export * from './apis/create-topics.js';
export * from './apis/delete-topics.js';
export * from './apis/list-offsets.js';
export * from './record-batch.js';
export * from './compression.js';
