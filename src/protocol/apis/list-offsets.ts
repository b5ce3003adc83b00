// ListOffsets (key 2): the offset for a timestamp per partition (-1 latest,
// -2 earliest). Answered only by the partition's leader, which also makes it
// the cheap way to ask "does this broker lead this partition yet?".

import { defineApi } from '../api.js';
import { array, field, struct } from '../schema.js';

export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

export interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel?: number;
  topics: { name: string; partitions: { partitionIndex: number; currentLeaderEpoch?: number; timestamp: number }[] }[];
  timeoutMs?: number;
}

export interface ListOffsetsResponse {
  throttleTimeMs: number;
  topics: {
    name: string;
    partitions: { partitionIndex: number; errorCode: number; timestamp: number; offset: number; leaderEpoch: number }[];
  }[];
}

export const ListOffsets = defineApi<ListOffsetsRequest, ListOffsetsResponse>({
  key: 2,
  name: 'ListOffsets',
  minVersion: 1,
  maxVersion: 10,
  flexibleFrom: 6,
  request: struct(
    field('replicaId', 'int32', '0+'),
    field('isolationLevel', 'int8', '2+', { default: 0 }),
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
                field('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
                field('timestamp', 'int64', '0+'),
              ),
            ),
            '0+',
          ),
        ),
      ),
      '0+',
    ),
    field('timeoutMs', 'int32', '10+', { default: 0 }),
  ),
  response: struct(
    field('throttleTimeMs', 'int32', '2+', { default: 0 }),
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
                field('errorCode', 'int16', '0+'),
                field('timestamp', 'int64', '1+', { default: -1 }),
                field('offset', 'int64', '1+', { default: -1 }),
                field('leaderEpoch', 'int32', '4+', { default: -1 }),
              ),
            ),
            '0+',
          ),
        ),
      ),
      '0+',
    ),
  ),
});
