// AddPartitionsToTxn (key 24): adds partitions to the ongoing transaction
// before the first Produce to them (transactions protocol v1). v4+ is for
// brokers verifying on behalf of each other, so a client stays at v0-v3.

import { defineApi } from '../api.js';
import { array, field, struct } from '../schema.js';

export interface AddPartitionsToTxnRequest {
  v3AndBelowTransactionalId: string;
  v3AndBelowProducerId: number;
  v3AndBelowProducerEpoch: number;
  v3AndBelowTopics: { name: string; partitions: number[] }[];
}

export interface AddPartitionsToTxnResponse {
  throttleTimeMs: number;
  resultsByTopicV3AndBelow: {
    name: string;
    resultsByPartition: { partitionIndex: number; partitionErrorCode: number }[];
  }[];
}

export const AddPartitionsToTxn = defineApi<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>({
  key: 24,
  name: 'AddPartitionsToTxn',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: 3,
  request: struct(
    field('v3AndBelowTransactionalId', 'string', '0-3'),
    field('v3AndBelowProducerId', 'int64', '0-3'),
    field('v3AndBelowProducerEpoch', 'int16', '0-3'),
    field('v3AndBelowTopics', array(struct(field('name', 'string', '0+'), field('partitions', array('int32'), '0+'))), '0-3'),
  ),
  response: struct(
    field('throttleTimeMs', 'int32', '0+'),
    field(
      'resultsByTopicV3AndBelow',
      array(
        struct(
          field('name', 'string', '0+'),
          field('resultsByPartition', array(struct(field('partitionIndex', 'int32', '0+'), field('partitionErrorCode', 'int16', '0+'))), '0+'),
        ),
      ),
      '0-3',
    ),
  ),
});
