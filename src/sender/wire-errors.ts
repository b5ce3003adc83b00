// Errors cross between the sender and the producer as plain data and are
// rebuilt as the same classes, so `instanceof` and `code` work for callers
// whichever thread the sender runs on.

import {
  BufferExhaustedError,
  ConnectionClosedError,
  KafkaClientError,
  KafkaResponseError,
  KafkaTimeoutError,
  ProducerClosedError,
  ProducerFatalError,
} from '../errors.js';
import type { SerializedError } from './messages.js';

export function serializeError(err: unknown): SerializedError {
  if (err instanceof KafkaResponseError) return { name: err.name, code: err.code, message: err.message, errorCode: err.errorCode };
  if (err instanceof KafkaClientError) return { name: err.name, code: err.code, message: err.message };
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, code: 'KPT_ERR_UNKNOWN', message: e.message };
}

/** Rebuilds the error; a class it does not know becomes a KafkaClientError with the same code. */
export function deserializeError(s: SerializedError): Error {
  switch (s.name) {
    case 'KafkaResponseError':
      return Object.assign(new KafkaResponseError(s.errorCode ?? -1, ''), { message: s.message });
    case 'KafkaTimeoutError':
      return new KafkaTimeoutError(s.message);
    case 'ProducerClosedError':
      return new ProducerClosedError(s.message);
    case 'ProducerFatalError':
      return new ProducerFatalError(s.message);
    case 'BufferExhaustedError':
      return new BufferExhaustedError(s.message);
    case 'ConnectionClosedError':
      return Object.assign(new ConnectionClosedError('', ''), { message: s.message });
    default:
      return new KafkaClientError(s.code, s.message);
  }
}
