// Errors the producer raises. Every class has a stable `code` (ErrorCode) and
// `retriable`; messages name the option, topic, partition or broker involved
// and say what to do.

import { KafkaClientError, KafkaResponseError, MalformedResponseError, ProtocolError } from './protocol/errors.js';

export { KafkaClientError, KafkaResponseError, MalformedResponseError, ProtocolError };
export type { ErrorAction, ErrorCode } from './protocol/errors.js';
export {
  ConnectionError,
  ConnectionRefusedError,
  ConnectTimeoutError,
  RequestTimeoutError,
  ConnectionClosedError,
  ResponseSizeError,
  UnsupportedVersionError,
  AuthenticationError,
  BootstrapError,
} from './network/errors.js';

/** A bad option: unknown, wrong type, out of range, or in conflict with another. */
export class ConfigError extends KafkaClientError {
  readonly option: string;

  constructor(option: string, message: string) {
    super('KPT_ERR_CONFIG', `option ${option}: ${message}`);
    this.option = option;
  }
}

/** A record that cannot be sent as given (bad field, or too large). */
export class InvalidRecordError extends KafkaClientError {
  constructor(message: string) {
    super('KPT_ERR_INVALID_RECORD', message);
  }
}

/** A key or value serializer failed, or returned something other than bytes. */
export class SerializationError extends KafkaClientError {
  constructor(message: string, cause?: unknown) {
    super('KPT_ERR_SERIALIZATION', message, { cause });
  }
}

/**
 * Something did not happen in time: metadata or buffer memory within
 * maxBlockMs, or delivery within deliveryTimeoutMs.
 */
export class KafkaTimeoutError extends KafkaClientError {
  /** `cause`: the last error before time ran out (e.g. the ConnectionError naming the broker), when there was one. */
  constructor(message: string, cause?: unknown) {
    // Retriable, as Java's TimeoutException: the same call may succeed later.
    super('KPT_ERR_TIMEOUT', message, { cause, retriable: true });
  }
}

/** send() found no buffer memory within maxBlockMs. */
export class BufferExhaustedError extends KafkaClientError {
  constructor(message: string) {
    // Retriable, as Java's BufferExhaustedException (a TimeoutException): memory frees as batches are delivered.
    super('KPT_ERR_BUFFER_EXHAUSTED', message, { retriable: true });
  }
}

/** The producer is closed, or closed before the record could be delivered. */
export class ProducerClosedError extends KafkaClientError {
  constructor(message: string) {
    super('KPT_ERR_PRODUCER_CLOSED', message);
  }
}

/** The producer hit an error it cannot recover from and must be closed. */
export class ProducerFatalError extends KafkaClientError {
  constructor(message: string, cause?: unknown) {
    super('KPT_ERR_PRODUCER_FATAL', message, { cause });
  }
}

/**
 * A transaction call out of order: a send or commit with no transaction
 * begun, beginTransaction() twice, anything before initTransactions(), or a
 * transaction call on a producer without transactionalId. Nothing was done;
 * call the methods in order (initTransactions once, then begin, send,
 * commit or abort).
 */
export class TransactionStateError extends KafkaClientError {
  constructor(message: string) {
    super('KPT_ERR_TRANSACTION_STATE', message);
  }
}

/**
 * The ongoing transaction cannot commit (a record of it failed, or the
 * coordinator refused a step of it): call abortTransaction(), then begin a
 * new one. The producer itself can go on. `cause`: what failed.
 */
export class TransactionAbortableError extends KafkaClientError {
  constructor(message: string, cause?: unknown) {
    super('KPT_ERR_TRANSACTION_ABORTABLE', message, { cause });
  }
}

/** A record of a transaction that abortTransaction() aborted before it was sent. */
export class TransactionAbortedError extends KafkaClientError {
  constructor(message: string) {
    super('KPT_ERR_TRANSACTION_ABORTED', message);
  }
}

/**
 * The transactional producer cannot go on (the coordinator refused its
 * transactional id, or its state): close it. Every later call fails with it.
 * `cause`: the broker's answer (a KafkaResponseError with its errorCode).
 */
export class TransactionFatalError extends ProducerFatalError {}

/**
 * Another producer with the same transactionalId started (initTransactions)
 * after this one: this one is fenced off for good and its open transaction
 * will not commit. Close it; the newer instance carries on.
 */
export class ProducerFencedError extends TransactionFatalError {}
