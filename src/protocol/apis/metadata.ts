// Metadata (key 3): brokers, topics, partitions, leaders, leader epochs and
// topic ids (v10+). A null topic list (v1+) asks for every topic.

import { defineApi } from '../api.js';
import { array, field, struct } from '../schema.js';

export interface MetadataRequest {
  topics: { topicId?: Uint8Array; name: string | null }[] | null;
  allowAutoTopicCreation?: boolean;
  includeTopicAuthorizedOperations?: boolean;
}

export interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface MetadataPartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}

export interface MetadataTopic {
  errorCode: number;
  name: string | null;
  topicId: Buffer;
  isInternal: boolean;
  partitions: MetadataPartition[];
}

export interface MetadataResponse {
  throttleTimeMs: number;
  brokers: MetadataBroker[];
  clusterId: string | null;
  controllerId: number;
  topics: MetadataTopic[];
  errorCode: number;
}

const ZERO_UUID = Buffer.alloc(16);

export const Metadata = defineApi<MetadataRequest, MetadataResponse>({
  key: 3,
  name: 'Metadata',
  minVersion: 1,
  maxVersion: 13,
  flexibleFrom: 9,
  request: struct(
    field(
      'topics',
      array(struct(field('topicId', 'uuid', '10+', { default: ZERO_UUID }), field('name', 'string', '0+', { nullable: '10+' }))),
      '0+',
      { nullable: '1+' },
    ),
    field('allowAutoTopicCreation', 'bool', '4+', { default: true }),
    field('includeClusterAuthorizedOperations', 'bool', '8-10', { default: false }),
    field('includeTopicAuthorizedOperations', 'bool', '8+', { default: false }),
  ),
  response: struct(
    field('throttleTimeMs', 'int32', '3+', { default: 0 }),
    field(
      'brokers',
      array(
        struct(
          field('nodeId', 'int32', '0+'),
          field('host', 'string', '0+'),
          field('port', 'int32', '0+'),
          field('rack', 'string', '1+', { nullable: '1+', default: null }),
        ),
      ),
      '0+',
    ),
    field('clusterId', 'string', '2+', { nullable: '2+', default: null }),
    field('controllerId', 'int32', '1+', { default: -1 }),
    field(
      'topics',
      array(
        struct(
          field('errorCode', 'int16', '0+'),
          field('name', 'string', '0+', { nullable: '12+' }),
          field('topicId', 'uuid', '10+', { default: ZERO_UUID }),
          field('isInternal', 'bool', '1+', { default: false }),
          field(
            'partitions',
            array(
              struct(
                field('errorCode', 'int16', '0+'),
                field('partitionIndex', 'int32', '0+'),
                field('leaderId', 'int32', '0+'),
                field('leaderEpoch', 'int32', '7+', { default: -1 }),
                field('replicaNodes', array('int32'), '0+'),
                field('isrNodes', array('int32'), '0+'),
                field('offlineReplicas', array('int32'), '5+', { default: [] }),
              ),
            ),
            '0+',
          ),
          field('topicAuthorizedOperations', 'int32', '8+', { default: -2147483648 }),
        ),
      ),
      '0+',
    ),
    field('clusterAuthorizedOperations', 'int32', '8-10', { default: -2147483648 }),
    field('errorCode', 'int16', '13+', { default: 0 }),
  ),
});
