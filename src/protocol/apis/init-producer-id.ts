// InitProducerId (key 22): a producer id and epoch for idempotence and
// transactions. v3+ can pass the current id and epoch to ask for an epoch
// bump; v6 (Kafka 4.1+) adds two-phase-commit flags (KIP-939).

import { defineApi } from '../api.js';
import { field, struct } from '../schema.js';

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  producerId?: number;
  producerEpoch?: number;
  enable2Pc?: boolean;
  keepPreparedTxn?: boolean;
}

export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: number;
  producerEpoch: number;
  ongoingTxnProducerId: number;
  ongoingTxnProducerEpoch: number;
}

export const InitProducerId = defineApi<InitProducerIdRequest, InitProducerIdResponse>({
  key: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 6,
  flexibleFrom: 2,
  request: struct(
    field('transactionalId', 'string', '0+', { nullable: '0+' }),
    field('transactionTimeoutMs', 'int32', '0+'),
    field('producerId', 'int64', '3+', { default: -1 }),
    field('producerEpoch', 'int16', '3+', { default: -1 }),
    field('enable2Pc', 'bool', '6+', { default: false }),
    field('keepPreparedTxn', 'bool', '6+', { default: false }),
  ),
  response: struct(
    field('throttleTimeMs', 'int32', '0+'),
    field('errorCode', 'int16', '0+'),
    field('producerId', 'int64', '0+'),
    field('producerEpoch', 'int16', '0+'),
    field('ongoingTxnProducerId', 'int64', '6+', { default: -1 }),
    field('ongoingTxnProducerEpoch', 'int16', '6+', { default: -1 }),
  ),
});
