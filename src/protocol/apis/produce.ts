// Produce (key 0). v3-v8 share one byte layout, v9+ the same fields in
// compact form; v13 (Kafka 4.1+) names topics by topic id instead of name.
// Kafka 4.x still advertises v0, but v3 is the first with record batch v2, so
// v3 is the floor. acks=0 requests get no response at all.

import { defineApi } from '../api.js';
import { array, field, struct } from '../schema.js';

export interface ProducePartitionData {
  index: number;
  records: Uint8Array | null;
}

export interface ProduceTopicData {
  /** Versions up to 12. */
  name?: string;
  /** Version 13+. */
  topicId?: Uint8Array;
  partitionData: ProducePartitionData[];
}

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: ProduceTopicData[];
}

export interface ProducePartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[];
  errorMessage: string | null;
  currentLeader?: { leaderId: number; leaderEpoch: number };
}

export interface ProduceResponse {
  responses: { name?: string; topicId?: Buffer; partitionResponses: ProducePartitionResponse[] }[];
  throttleTimeMs: number;
  nodeEndpoints: { nodeId: number; host: string; port: number; rack: string | null }[];
}

export const Produce = defineApi<ProduceRequest, ProduceResponse>({
  key: 0,
  name: 'Produce',
  minVersion: 3,
  maxVersion: 13,
  flexibleFrom: 9,
  request: struct(
    field('transactionalId', 'string', '3+', { nullable: '3+', default: null }),
    field('acks', 'int16', '0+'),
    field('timeoutMs', 'int32', '0+'),
    field(
      'topicData',
      array(
        struct(
          field('name', 'string', '0-12'),
          field('topicId', 'uuid', '13+'),
          field('partitionData', array(struct(field('index', 'int32', '0+'), field('records', 'records', '0+', { nullable: '0+' }))), '0+'),
        ),
      ),
      '0+',
    ),
  ),
  response: struct(
    field(
      'responses',
      array(
        struct(
          field('name', 'string', '0-12'),
          field('topicId', 'uuid', '13+'),
          field(
            'partitionResponses',
            array(
              struct(
                field('index', 'int32', '0+'),
                field('errorCode', 'int16', '0+'),
                field('baseOffset', 'int64', '0+'),
                field('logAppendTimeMs', 'int64', '2+', { default: -1 }),
                field('logStartOffset', 'int64', '5+', { default: -1 }),
                field(
                  'recordErrors',
                  array(struct(field('batchIndex', 'int32', '8+'), field('batchIndexErrorMessage', 'string', '8+', { nullable: '8+' }))),
                  '8+',
                  { default: [] },
                ),
                field('errorMessage', 'string', '8+', { nullable: '8+', default: null }),
                field('currentLeader', struct(field('leaderId', 'int32', '10+'), field('leaderEpoch', 'int32', '10+')), '10+', { tag: 0 }),
              ),
            ),
            '0+',
          ),
        ),
      ),
      '0+',
    ),
    field('throttleTimeMs', 'int32', '1+', { default: 0 }),
    field(
      'nodeEndpoints',
      array(
        struct(
          field('nodeId', 'int32', '10+'),
          field('host', 'string', '10+'),
          field('port', 'int32', '10+'),
          field('rack', 'string', '10+', { nullable: '10+' }),
        ),
      ),
      '10+',
      { tag: 0, default: [] },
    ),
  ),
});
