// FindCoordinator (key 10): the broker coordinating a group (key type 0) or a
// transactional id (key type 1). v4+ asks for several keys at once and
// answers per key; below v4 one key and one answer.

import { defineApi } from '../api.js';
import { array, field, struct } from '../schema.js';

export const COORDINATOR_GROUP = 0;
export const COORDINATOR_TRANSACTION = 1;

export interface FindCoordinatorRequest {
  key?: string;
  keyType: number;
  coordinatorKeys?: string[];
}

export interface Coordinator {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface FindCoordinatorResponse {
  throttleTimeMs: number;
  errorCode?: number;
  errorMessage?: string | null;
  nodeId?: number;
  host?: string;
  port?: number;
  coordinators?: Coordinator[];
}

export const FindCoordinator = defineApi<FindCoordinatorRequest, FindCoordinatorResponse>({
  key: 10,
  name: 'FindCoordinator',
  minVersion: 1,
  maxVersion: 6,
  flexibleFrom: 3,
  request: struct(
    field('key', 'string', '0-3'),
    field('keyType', 'int8', '1+', { default: 0 }),
    field('coordinatorKeys', array('string'), '4+'),
  ),
  response: struct(
    field('throttleTimeMs', 'int32', '1+', { default: 0 }),
    field('errorCode', 'int16', '0-3'),
    field('errorMessage', 'string', '1-3', { nullable: '1-3' }),
    field('nodeId', 'int32', '0-3'),
    field('host', 'string', '0-3'),
    field('port', 'int32', '0-3'),
    field(
      'coordinators',
      array(
        struct(
          field('key', 'string', '4+'),
          field('nodeId', 'int32', '4+'),
          field('host', 'string', '4+'),
          field('port', 'int32', '4+'),
          field('errorCode', 'int16', '4+'),
          field('errorMessage', 'string', '4+', { nullable: '4+' }),
        ),
      ),
      '4+',
    ),
  ),
});
