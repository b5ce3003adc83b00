// Errors at the bytes level: the base class every error of this library
// extends, the ProtocolError for malformed or unexpected bytes, and Kafka's
// error-code table with what a producer does about each code (docs/protocol.md §5).

const BRAND = Symbol.for('kafka-producer-ts.error');

/** Every `code` a KafkaClientError can have: compare against these literals (a misspelt one does not compile). */
export type ErrorCode =
  | 'KPT_ERR_AUTHENTICATION'
  | 'KPT_ERR_BOOTSTRAP'
  | 'KPT_ERR_BUFFER_EXHAUSTED'
  | 'KPT_ERR_CLOSED'
  | 'KPT_ERR_CONFIG'
  | 'KPT_ERR_CONNECTION_CLOSED'
  | 'KPT_ERR_CONNECTION_REFUSED'
  | 'KPT_ERR_CONNECT_TIMEOUT'
  | 'KPT_ERR_INVALID_RECORD'
  | 'KPT_ERR_KAFKA'
  | 'KPT_ERR_PRODUCER_CLOSED'
  | 'KPT_ERR_PRODUCER_FATAL'
  | 'KPT_ERR_PROTOCOL'
  | 'KPT_ERR_REQUEST_TIMEOUT'
  | 'KPT_ERR_SERIALIZATION'
  | 'KPT_ERR_TIMEOUT'
  | 'KPT_ERR_TRANSACTION_ABORTABLE'
  | 'KPT_ERR_TRANSACTION_ABORTED'
  | 'KPT_ERR_TRANSACTION_STATE'
  | 'KPT_ERR_UNSUPPORTED_VERSION';

/**
 * Base of every error this library throws. `code` is stable across releases;
 * `instanceof` works across duplicate copies of the package via the brand.
 */
export class KafkaClientError extends Error {
  readonly code: ErrorCode;
  /**
   * Whether the same call may succeed if made again, unchanged (a timeout, a
   * connection lost, a leader moving), as Java's RetriableException. The
   * producer has already retried within deliveryTimeoutMs before it fails a
   * record, so true means "try again later", not "try again at once".
   */
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retriable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options?.retriable ?? false;
    this.name = new.target.name;
  }

  get [BRAND](): true {
    return true;
  }

  /** `instanceof` also holds for errors from another copy of this package (npm may install two). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null || !(BRAND in value)) return false;
    // Subclasses still narrow by their own prototype chain (or name across copies).
    if (this === KafkaClientError) return true;
    return Function.prototype[Symbol.hasInstance].call(this, value) || (value as unknown as Error).name === this.name;
  }
}

/** Bytes that do not follow the protocol: truncated, out of range, or unexpected. */
export class ProtocolError extends KafkaClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KPT_ERR_PROTOCOL', message, options);
  }
}

/**
 * A response the client cannot use. Either its bytes do not decode under its
 * API's schema at the version it answers (`field` null): `offset` is where in
 * the frame (the bytes after the size prefix) decoding stopped, the cause
 * says what was wrong there, and since nothing read after such bytes can be
 * trusted the connection it came on is closed. Or it decoded, but a value in
 * it cannot be right (a hole in a topic's partitions, a leader that is not a
 * broker, a negative producer id...): `field` names it, `offset` and
 * `version` are -1, and what depended on the answer is retried or failed with
 * this error (docs/protocol.md, "What the client checks in an answer").
 */
export class MalformedResponseError extends ProtocolError {
  readonly api: string;
  readonly version: number;
  readonly offset: number;
  /** host:port (node) of the broker that sent it; null where the bytes came from no connection. */
  readonly broker: string | null;
  /** The value that cannot be right, as a path (e.g. "topics[orders].partitions[1].partitionIndex"); null when the bytes did not decode. */
  readonly field: string | null;

  constructor(api: string, version: number, offset: number, cause: Error, broker: string | null = null, field: string | null = null) {
    const from = broker === null ? '' : ` from ${broker}`;
    super(
      field === null
        ? `${api} v${version} response${from} is malformed at offset ${offset}: ${cause.message}`
        : `${api} response${from} has a value that cannot be right: ${field} ${cause.message}`,
      { cause },
    );
    this.api = api;
    this.version = version;
    this.offset = offset;
    this.broker = broker;
    this.field = field;
  }
}

/**
 * What a producer does when a broker answers with an error code.
 * - retry: send again after backoff
 * - refresh-metadata: refresh metadata (the leader moved or is unknown), then retry
 * - split: the batch is too large: split it and resend, no attempt counted
 * - find-coordinator: look the coordinator up again, then retry
 * - reset-producer: idempotent producer: bump the epoch, reset sequences, retry
 * - duplicate: the broker has the batch already: success, offset unknown
 * - abortable: inside a transaction, abort it; outside, fail the batch
 * - fatal: the producer cannot go on and must be closed
 * - fail: fail the batch (or request) with this error
 */
export type ErrorAction =
  | 'retry'
  | 'refresh-metadata'
  | 'split'
  | 'find-coordinator'
  | 'reset-producer'
  | 'duplicate'
  | 'abortable'
  | 'fatal'
  | 'fail';

export interface KafkaErrorInfo {
  readonly code: number;
  readonly name: string;
  readonly retriable: boolean;
  readonly action: ErrorAction;
}

// [code, name, action]; retriable is derived from the action.
const TABLE: ReadonlyArray<readonly [number, string, ErrorAction]> = [
  [-1, 'UNKNOWN_SERVER_ERROR', 'fail'],
  [1, 'OFFSET_OUT_OF_RANGE', 'fail'],
  [2, 'CORRUPT_MESSAGE', 'retry'],
  [3, 'UNKNOWN_TOPIC_OR_PARTITION', 'refresh-metadata'],
  [4, 'INVALID_FETCH_SIZE', 'fail'],
  [5, 'LEADER_NOT_AVAILABLE', 'refresh-metadata'],
  [6, 'NOT_LEADER_OR_FOLLOWER', 'refresh-metadata'],
  [7, 'REQUEST_TIMED_OUT', 'retry'],
  [8, 'BROKER_NOT_AVAILABLE', 'fail'],
  [9, 'REPLICA_NOT_AVAILABLE', 'refresh-metadata'],
  [10, 'MESSAGE_TOO_LARGE', 'split'],
  [11, 'STALE_CONTROLLER_EPOCH', 'fail'],
  [12, 'OFFSET_METADATA_TOO_LARGE', 'fail'],
  [13, 'NETWORK_EXCEPTION', 'retry'],
  [14, 'COORDINATOR_LOAD_IN_PROGRESS', 'retry'],
  [15, 'COORDINATOR_NOT_AVAILABLE', 'find-coordinator'],
  [16, 'NOT_COORDINATOR', 'find-coordinator'],
  [17, 'INVALID_TOPIC_EXCEPTION', 'fail'],
  [18, 'RECORD_LIST_TOO_LARGE', 'fail'],
  [19, 'NOT_ENOUGH_REPLICAS', 'retry'],
  [20, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'retry'],
  [21, 'INVALID_REQUIRED_ACKS', 'fail'],
  [22, 'ILLEGAL_GENERATION', 'fail'],
  [24, 'INVALID_GROUP_ID', 'fail'],
  [25, 'UNKNOWN_MEMBER_ID', 'fail'],
  [27, 'REBALANCE_IN_PROGRESS', 'fail'],
  [28, 'INVALID_COMMIT_OFFSET_SIZE', 'fail'],
  [29, 'TOPIC_AUTHORIZATION_FAILED', 'fail'],
  [30, 'GROUP_AUTHORIZATION_FAILED', 'fail'],
  [31, 'CLUSTER_AUTHORIZATION_FAILED', 'fatal'],
  [32, 'INVALID_TIMESTAMP', 'fail'],
  [33, 'UNSUPPORTED_SASL_MECHANISM', 'fatal'],
  [34, 'ILLEGAL_SASL_STATE', 'fatal'],
  [35, 'UNSUPPORTED_VERSION', 'fatal'],
  [36, 'TOPIC_ALREADY_EXISTS', 'fail'],
  [37, 'INVALID_PARTITIONS', 'fail'],
  [38, 'INVALID_REPLICATION_FACTOR', 'fail'],
  [39, 'INVALID_REPLICA_ASSIGNMENT', 'fail'],
  [40, 'INVALID_CONFIG', 'fail'],
  [41, 'NOT_CONTROLLER', 'retry'],
  [42, 'INVALID_REQUEST', 'fail'],
  [43, 'UNSUPPORTED_FOR_MESSAGE_FORMAT', 'fail'],
  [44, 'POLICY_VIOLATION', 'fail'],
  [45, 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'reset-producer'],
  [46, 'DUPLICATE_SEQUENCE_NUMBER', 'duplicate'],
  [47, 'INVALID_PRODUCER_EPOCH', 'abortable'],
  // From a partition leader (Produce) they doom the transaction, not the producer, as in Java; a coordinator's verdict is src/sender/coordinator.ts's.
  [48, 'INVALID_TXN_STATE', 'abortable'],
  [49, 'INVALID_PRODUCER_ID_MAPPING', 'abortable'],
  [50, 'INVALID_TRANSACTION_TIMEOUT', 'fatal'],
  [51, 'CONCURRENT_TRANSACTIONS', 'retry'],
  [52, 'TRANSACTION_COORDINATOR_FENCED', 'fatal'],
  [53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'fatal'],
  [55, 'OPERATION_NOT_ATTEMPTED', 'fail'],
  [56, 'KAFKA_STORAGE_ERROR', 'refresh-metadata'],
  [58, 'SASL_AUTHENTICATION_FAILED', 'fatal'],
  [59, 'UNKNOWN_PRODUCER_ID', 'reset-producer'],
  [74, 'FENCED_LEADER_EPOCH', 'refresh-metadata'],
  [75, 'UNKNOWN_LEADER_EPOCH', 'retry'],
  [76, 'UNSUPPORTED_COMPRESSION_TYPE', 'fail'],
  [87, 'INVALID_RECORD', 'fail'],
  [89, 'THROTTLING_QUOTA_EXCEEDED', 'retry'],
  [90, 'PRODUCER_FENCED', 'fatal'],
  [100, 'UNKNOWN_TOPIC_ID', 'refresh-metadata'],
  [103, 'INCONSISTENT_TOPIC_ID', 'refresh-metadata'],
  [120, 'TRANSACTION_ABORTABLE', 'abortable'],
];

const RETRIABLE_ACTIONS: ReadonlySet<ErrorAction> = new Set(['retry', 'refresh-metadata', 'find-coordinator']);

const BY_CODE = new Map<number, KafkaErrorInfo>(
  TABLE.map(([code, name, action]) => [code, { code, name, action, retriable: RETRIABLE_ACTIONS.has(action) }]),
);

/** What Kafka's error code means; codes this table does not know fail the request. */
export function errorInfo(code: number): KafkaErrorInfo {
  return BY_CODE.get(code) ?? { code, name: `KAFKA_ERROR_${code}`, retriable: false, action: 'fail' };
}

/** An error code a broker answered with, carrying its table entry. */
export class KafkaResponseError extends KafkaClientError {
  readonly errorCode: number;
  readonly errorName: string;
  readonly action: ErrorAction;

  constructor(errorCode: number, context: string, brokerMessage?: string | null) {
    const info = errorInfo(errorCode);
    const detail = brokerMessage ? ` (broker said: ${brokerMessage})` : '';
    super('KPT_ERR_KAFKA', `${context}: ${info.name} (error code ${errorCode})${detail}`, { retriable: info.retriable });
    this.errorCode = errorCode;
    this.errorName = info.name;
    this.action = info.action;
  }
}
