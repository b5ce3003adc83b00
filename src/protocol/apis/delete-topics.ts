// DeleteTopics (key 20): not part of producing; the benchmarks delete each
// run's topic so a full run does not fill the broker's disk. v1-v5 name
// topics by string.

import { defineApi } from '../api.js';
import { array, field, struct } from '../schema.js';

export interface DeleteTopicsRequest {
  topicNames: string[];
  timeoutMs: number;
}

export interface DeleteTopicsResponse {
  throttleTimeMs: number;
  responses: { name: string; errorCode: number; errorMessage: string | null }[];
}

export const DeleteTopics = defineApi<DeleteTopicsRequest, DeleteTopicsResponse>({
  key: 20,
  name: 'DeleteTopics',
  minVersion: 1,
  maxVersion: 5,
  flexibleFrom: 4,
  request: struct(field('topicNames', array('string'), '0+'), field('timeoutMs', 'int32', '0+')),
  response: struct(
    field('throttleTimeMs', 'int32', '1+', { default: 0 }),
    field(
      'responses',
      array(
        struct(
          field('name', 'string', '0+'),
          field('errorCode', 'int16', '0+'),
          field('errorMessage', 'string', '5+', { nullable: '5+', default: null }),
        ),
      ),
      '0+',
    ),
  ),
});
