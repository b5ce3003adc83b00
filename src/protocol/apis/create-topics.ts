// CreateTopics (key 19): not part of producing, but the tests, the demo and
// the benchmarks create their topics with it instead of starting a JVM tool.

import { defineApi } from '../api.js';
import { array, field, struct } from '../schema.js';

export interface CreateTopicsRequest {
  topics: {
    name: string;
    numPartitions: number;
    replicationFactor: number;
    assignments: { partitionIndex: number; brokerIds: number[] }[];
    configs: { name: string; value: string | null }[];
  }[];
  timeoutMs: number;
  validateOnly?: boolean;
}

export interface CreateTopicsResponse {
  throttleTimeMs: number;
  topics: { name: string; topicId: Buffer; errorCode: number; errorMessage: string | null; numPartitions: number }[];
}

export const CreateTopics = defineApi<CreateTopicsRequest, CreateTopicsResponse>({
  key: 19,
  name: 'CreateTopics',
  minVersion: 2,
  maxVersion: 7,
  flexibleFrom: 5,
  request: struct(
    field(
      'topics',
      array(
        struct(
          field('name', 'string', '0+'),
          field('numPartitions', 'int32', '0+'),
          field('replicationFactor', 'int16', '0+'),
          field('assignments', array(struct(field('partitionIndex', 'int32', '0+'), field('brokerIds', array('int32'), '0+'))), '0+'),
          field('configs', array(struct(field('name', 'string', '0+'), field('value', 'string', '0+', { nullable: '0+' }))), '0+'),
        ),
      ),
      '0+',
    ),
    field('timeoutMs', 'int32', '0+'),
    field('validateOnly', 'bool', '1+', { default: false }),
  ),
  response: struct(
    field('throttleTimeMs', 'int32', '2+', { default: 0 }),
    field(
      'topics',
      array(
        struct(
          field('name', 'string', '0+'),
          field('topicId', 'uuid', '7+'),
          field('errorCode', 'int16', '0+'),
          field('errorMessage', 'string', '1+', { nullable: '0+', default: null }),
          field('topicConfigErrorCode', 'int16', '5+', { tag: 0, default: 0 }),
          field('numPartitions', 'int32', '5+', { default: -1 }),
          field('replicationFactor', 'int16', '5+', { default: -1 }),
          field(
            'configs',
            array(
              struct(
                field('name', 'string', '5+'),
                field('value', 'string', '5+', { nullable: '5+' }),
                field('readOnly', 'bool', '5+'),
                field('configSource', 'int8', '5+', { default: -1 }),
                field('isSensitive', 'bool', '5+'),
              ),
            ),
            '5+',
            { nullable: '5+', default: null },
          ),
        ),
      ),
      '0+',
    ),
  ),
});
