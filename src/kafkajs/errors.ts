// kafkajs's error classes, by the names kafkajs users catch, each with
// `retriable`, and the one place our errors become them: every error the
// adapter hands back is one of these, with our original as `cause`.

import {
  AuthenticationError,
  BootstrapError,
  BufferExhaustedError,
  ConnectionClosedError,
  ConnectionError,
  KafkaResponseError,
  KafkaTimeoutError,
  ProducerFatalError,
  RequestTimeoutError,
} from '../errors.js';

export class KafkaJSError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? true;
  }
}

export class KafkaJSNonRetriableError extends KafkaJSError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retriable: false });
  }
}

/** A broker's error code: `type` is Kafka's name for it (e.g. INVALID_TOPIC_EXCEPTION), `code` the number. */
export class KafkaJSProtocolError extends KafkaJSError {
  readonly type: string;
  readonly code: number;

  constructor(message: string, options: { type: string; code: number; retriable: boolean; cause?: unknown }) {
    super(message, options);
    this.type = options.type;
    this.code = options.code;
  }
}

/** Delivery gave up (our deliveryTimeoutMs ran out, or retries did): `cause` is the last error. */
export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {}
export class KafkaJSConnectionError extends KafkaJSError {}
export class KafkaJSConnectionClosedError extends KafkaJSConnectionError {}
export class KafkaJSRequestTimeoutError extends KafkaJSError {}
export class KafkaJSSASLAuthenticationError extends KafkaJSNonRetriableError {}
export class KafkaJSTimeout extends KafkaJSNonRetriableError {}

/** kafkajs's texts for the broker error codes its tests and users match on; others say what our error says. */
const PROTOCOL_MESSAGES: ReadonlyMap<number, string> = new Map([
  [3, 'This server does not host this topic-partition'],
  [17, 'The request attempted to perform an operation on an invalid topic'],
  [47, "Producer attempted an operation with an old epoch. Either there is a newer producer with the same transactionalId, or the producer's transaction has been expired by the broker"],
]);

/** The KafkaJSProtocolError for a broker's error code, with kafkajs's text where it has one and ours otherwise. */
export function protocolError(code: number, type: string, retriable: boolean, cause?: unknown): KafkaJSProtocolError {
  const message = PROTOCOL_MESSAGES.get(code) ?? (cause instanceof Error ? cause.message : type);
  return new KafkaJSProtocolError(message, { type, code, retriable, cause });
}

/** Our error as the kafkajs class a kafkajs user would catch for it; kafkajs errors pass through. */
export function toKafkaJSError(err: unknown): KafkaJSError {
  if (err instanceof KafkaJSError) return err;
  if (!(err instanceof Error)) return new KafkaJSNonRetriableError(String(err), { cause: err });
  if (err instanceof KafkaResponseError) return protocolError(err.errorCode, err.errorName, err.retriable, err);
  // Fenced, or refused by the coordinator: what a kafkajs user catches is the broker's code.
  if (err instanceof ProducerFatalError && err.cause instanceof KafkaResponseError) return protocolError(err.cause.errorCode, err.cause.errorName, false, err);
  if (err instanceof KafkaTimeoutError) return new KafkaJSNumberOfRetriesExceeded(err.message, { cause: err });
  if (err instanceof AuthenticationError && err.mechanism !== 'TLS') {
    // kafkajs names SCRAM-SHA-256 "SCRAM SHA256", and users match on its "SASL <name> authentication failed".
    const named = err.message.replace(`SASL ${err.mechanism} `, `SASL ${err.mechanism.replace(/^SCRAM-SHA-/, 'SCRAM SHA')} `);
    return new KafkaJSSASLAuthenticationError(named, { cause: err });
  }
  if (err instanceof RequestTimeoutError) return new KafkaJSRequestTimeoutError(err.message, { cause: err });
  if (err instanceof ConnectionClosedError) return new KafkaJSConnectionClosedError(err.message, { cause: err });
  if (err instanceof ConnectionError || err instanceof BootstrapError) return new KafkaJSConnectionError(err.message, { cause: err });
  if (err instanceof BufferExhaustedError) return new KafkaJSError(err.message, { cause: err });
  return new KafkaJSNonRetriableError(err.message, { cause: err });
}
