// AddOffsetsToTxn (key 25): tells the transaction coordinator that offsets of
// a consumer group will be committed inside the transaction.

import { defineApi } from '../api.js';
import { field, struct } from '../schema.js';

export interface AddOffsetsToTxnRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  groupId: string;
}

export interface AddOffsetsToTxnResponse {
  throttleTimeMs: number;
  errorCode: number;
}

export const AddOffsetsToTxn = defineApi<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>({
  key: 25,
  name: 'AddOffsetsToTxn',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
  request: struct(
    field('transactionalId', 'string', '0+'),
    field('producerId', 'int64', '0+'),
    field('producerEpoch', 'int16', '0+'),
    field('groupId', 'string', '0+'),
  ),
  response: struct(field('throttleTimeMs', 'int32', '0+'), field('errorCode', 'int16', '0+')),
});
