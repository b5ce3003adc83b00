// TxnOffsetCommit (key 28): commits consumer offsets to the group coordinator
// as part of a transaction (sendOffsetsToTransaction). v3+ carries the
// consumer's group generation and member ids (KIP-447).

import { defineApi } from '../api.js';
import { array, field, struct } from '../schema.js';

export interface TxnOffsetCommitRequest {
  transactionalId: string;
  groupId: string;
  producerId: number;
  producerEpoch: number;
  generationId?: number;
  memberId?: string;
  groupInstanceId?: string | null;
  topics: {
    name: string;
    partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch?: number; committedMetadata: string | null }[];
  }[];
}

export interface TxnOffsetCommitResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

export const TxnOffsetCommit = defineApi<TxnOffsetCommitRequest, TxnOffsetCommitResponse>({
  key: 28,
  name: 'TxnOffsetCommit',
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 3,
  request: struct(
    field('transactionalId', 'string', '0+'),
    field('groupId', 'string', '0+'),
    field('producerId', 'int64', '0+'),
    field('producerEpoch', 'int16', '0+'),
    field('generationId', 'int32', '3+', { default: -1 }),
    field('memberId', 'string', '3+', { default: '' }),
    field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
    field(
      'topics',
      array(
        struct(
          field('name', 'string', '0+'),
          field(
            'partitions',
            array(
              struct(
                field('partitionIndex', 'int32', '0+'),
                field('committedOffset', 'int64', '0+'),
                field('committedLeaderEpoch', 'int32', '2+', { default: -1 }),
                field('committedMetadata', 'string', '0+', { nullable: '0+' }),
              ),
            ),
            '0+',
          ),
        ),
      ),
      '0+',
    ),
  ),
  response: struct(
    field('throttleTimeMs', 'int32', '0+'),
    field(
      'topics',
      array(
        struct(
          field('name', 'string', '0+'),
          field('partitions', array(struct(field('partitionIndex', 'int32', '0+'), field('errorCode', 'int16', '0+'))), '0+'),
        ),
      ),
      '0+',
    ),
  ),
});
