// Producer options: the Java client's names in camelCase with its 4.x
// defaults, validated once at construction. Unknown options, wrong types and
// conflicting explicit choices are ConfigErrors that name the option; a
// default that conflicts with an explicit choice gives way, as in Java.

import type { CompressionType } from './protocol/compression.js';
import { COMPRESSION_TYPES } from './protocol/compression.js';
import { ConfigError } from './errors.js';
import { parseBootstrapServers, type HostPort } from './network/cluster.js';
import { DEFAULT_MAX_RESPONSE_SIZE } from './network/connection.js';
import type { Partitioner } from './partitioner/partitioner.js';
import { checkLogger, type Logger } from './diagnostics/logger.js';
import { checkSasl, checkSsl, senderSasl, type SaslOptions, type SenderSasl, type TlsOptions } from './security-config.js';

/** Acknowledgements the leader waits for: 'all' (or -1) every in-sync replica, 1 the leader alone, 0 none (no offsets, no retries). */
export type Acks = 'all' | -1 | 0 | 1;

/** Turns a key or value into bytes; null stays null. */
export type Serializer<T = unknown> = (value: T, topic: string) => Uint8Array | string | null;

/** What keys and values are without a serializer: strings (written as UTF-8) or bytes. */
export type Bytes = string | Uint8Array;

/** A serializer as the producer holds it, whatever type it was written for. */
type AnySerializer = (value: unknown, topic: string) => unknown;

/**
 * The producer's options. K and V are the types the key and value
 * serializers take, which send() then asks of each record.
 */
export interface ProducerOptions<K = Bytes, V = Bytes> {
  bootstrapServers: string | readonly string[];
  clientId?: string;
  acks?: Acks;
  enableIdempotence?: boolean;
  /** Upper bound on how long a batch waits for more records; it waits only while its leader has a request in flight. */
  lingerMs?: number;
  batchSize?: number;
  /**
   * How far a batch may grow, in bytes, while the producer has a backlog
   * (another batch is still unsettled when this one is full):
   * heavy loads then send batches of up to this size, light ones keep
   * batchSize. Default 1 MiB, and never below batchSize nor above
   * maxRequestSize; set it to batchSize to keep every batch at batchSize.
   * Keep it within the topics' max.message.bytes: the broker refuses a
   * larger batch, which is then split and sent again.
   */
  maxBatchSize?: number;
  bufferMemory?: number;
  maxBlockMs?: number;
  maxRequestSize?: number;
  maxInFlightRequestsPerConnection?: number;
  /**
   * Produce connections to each broker (default 2, at most 16). A broker
   * handles one request per connection at a time, so a second connection
   * lets it append two requests at once; each partition always goes over the
   * same one, which keeps its records in order. 1 is the Java client's way.
   */
  connectionsPerBroker?: number;
  retries?: number;
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
  requestTimeoutMs?: number;
  deliveryTimeoutMs?: number;
  compressionType?: CompressionType;
  /** 'default' (murmur2 for keys, sticky adaptive otherwise), 'round-robin', or your own function. */
  partitioner?: 'default' | 'round-robin' | Partitioner;
  metadataMaxAgeMs?: number;
  connectTimeoutMs?: number;
  /**
   * Largest response accepted from a broker, in bytes (default 104857600,
   * 100 MiB). A larger size prefix means a corrupt stream: the connection is
   * closed before anything is allocated for it, and its requests are retried
   * on a new one. Raise it only for Metadata answers about a huge cluster.
   */
  maxResponseSize?: number;
  keySerializer?: Serializer<K>;
  valueSerializer?: Serializer<V>;
  /** Run the sender on a worker thread (default) or on the main thread. */
  worker?: boolean;
  /** Gets retries, connection and metadata events and callback errors as (message, context); see Logger. */
  logger?: Logger;
  /** Makes the producer transactional (initTransactions, beginTransaction, ...); it is then idempotent with acks 'all'. */
  transactionalId?: string;
  /** How long the coordinator lets a transaction stay open before it aborts it (Java's transaction.timeout.ms). */
  transactionTimeoutMs?: number;
  /**
   * TLS to every broker: true (the system's CAs), or Node TLS options (ca,
   * cert and key for mutual TLS, servername, ...). The broker's certificate
   * and host name are verified unless rejectUnauthorized is false.
   */
  ssl?: boolean | TlsOptions;
  /** SASL authentication on every connection: PLAIN, SCRAM-SHA-256/512, or OAUTHBEARER with a token provider. */
  sasl?: SaslOptions;
}

export interface ProducerConfig {
  /** Parsed and checked: "host:port" each. */
  bootstrapServers: string[];
  clientId: string;
  /** -1 for all. */
  acks: -1 | 0 | 1;
  enableIdempotence: boolean;
  lingerMs: number;
  batchSize: number;
  maxBatchSize: number;
  bufferMemory: number;
  maxBlockMs: number;
  maxRequestSize: number;
  maxInFlightRequestsPerConnection: number;
  connectionsPerBroker: number;
  retries: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  requestTimeoutMs: number;
  deliveryTimeoutMs: number;
  compressionType: CompressionType;
  partitioner: 'default' | 'round-robin' | Partitioner;
  metadataMaxAgeMs: number;
  connectTimeoutMs: number;
  maxResponseSize: number;
  keySerializer: AnySerializer | null;
  valueSerializer: AnySerializer | null;
  worker: boolean;
  logger: Logger | null;
  /** null: not transactional. */
  transactionalId: string | null;
  transactionTimeoutMs: number;
  /** null: plain TCP. */
  ssl: true | TlsOptions | null;
  sasl: SaslOptions | null;
}

/** What the sender needs; plain data so it can cross to a worker thread. */
export type SenderConfig = Omit<ProducerConfig, 'partitioner' | 'keySerializer' | 'valueSerializer' | 'worker' | 'maxBatchSize' | 'bufferMemory' | 'maxBlockMs' | 'logger' | 'sasl'> & {
  sasl: SenderSasl | null;
};

const INT_MAX = 2147483647;
/** Connections are keyed by node id and lane together (see NodeConnections); more would gain nothing anyway. */
export const MAX_CONNECTIONS_PER_BROKER = 16;

type Check = (name: string, v: unknown) => void;

const int =
  (min: number, max = INT_MAX): Check =>
  (name, v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigError(name, `must be an integer, got ${describe(v)}`);
    if (v < min || v > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${v}`);
  };

const bool: Check = (name, v) => {
  if (typeof v !== 'boolean') throw new ConfigError(name, `must be true or false, got ${describe(v)}`);
};

const fn: Check = (name, v) => {
  if (typeof v !== 'function') throw new ConfigError(name, `must be a function, got ${describe(v)}`);
};

const CHECKS: Record<keyof ProducerOptions, Check> = {
  bootstrapServers: (name, v) => {
    parseServers(v);
  },
  clientId: (name, v) => {
    if (typeof v !== 'string') throw new ConfigError(name, `must be a string, got ${describe(v)}`);
  },
  acks: (name, v) => {
    if (v !== 'all' && v !== -1 && v !== 0 && v !== 1) throw new ConfigError(name, `must be 'all', -1, 0 or 1, got ${describe(v)}`);
  },
  enableIdempotence: bool,
  lingerMs: int(0),
  batchSize: int(1),
  maxBatchSize: int(1),
  bufferMemory: int(1024),
  maxBlockMs: int(0),
  maxRequestSize: int(1),
  maxInFlightRequestsPerConnection: int(1),
  connectionsPerBroker: int(1, MAX_CONNECTIONS_PER_BROKER),
  retries: int(0),
  retryBackoffMs: int(0),
  retryBackoffMaxMs: int(0),
  requestTimeoutMs: int(1),
  deliveryTimeoutMs: int(1),
  compressionType: (name, v) => {
    if (!COMPRESSION_TYPES.includes(v as CompressionType)) throw new ConfigError(name, `must be one of ${COMPRESSION_TYPES.join(', ')}, got ${describe(v)}`);
  },
  partitioner: (name, v) => {
    if (v !== 'default' && v !== 'round-robin' && typeof v !== 'function') {
      throw new ConfigError(name, `must be 'default', 'round-robin' or a function (topic, key, value, partitionCount) => partition, got ${describe(v)}`);
    }
  },
  metadataMaxAgeMs: int(0),
  connectTimeoutMs: int(1),
  // ApiVersions, the first answer on every connection, takes most of a KiB: a smaller bound cannot be meant.
  maxResponseSize: int(1024),
  keySerializer: fn,
  valueSerializer: fn,
  worker: bool,
  logger: checkLogger,
  transactionalId: (name, v) => {
    if (typeof v !== 'string' || v === '') throw new ConfigError(name, `must be a non-empty string, got ${describe(v)}`);
  },
  transactionTimeoutMs: int(1),
  ssl: checkSsl,
  sasl: checkSasl,
};

/**
 * Checks bootstrapServers the way the cluster will read them, so a typo is a
 * ConfigError at construction rather than a failure on the sender's side.
 */
function parseServers(v: unknown): HostPort[] {
  if (typeof v !== 'string' && !(Array.isArray(v) && v.every((s) => typeof s === 'string'))) {
    throw new ConfigError('bootstrapServers', `must be "host:port,host:port" or a list of "host:port", got ${describe(v)}`);
  }
  try {
    return parseBootstrapServers(v as string | string[]);
  } catch (err) {
    throw new ConfigError('bootstrapServers', (err as Error).message);
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return 'an array';
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
}

export function resolveConfig<K, V>(options: ProducerOptions<K, V>): ProducerConfig {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'pass an options object with at least bootstrapServers');
  for (const [name, value] of Object.entries(options)) {
    const check = CHECKS[name as keyof ProducerOptions] as Check | undefined;
    if (!check) throw new ConfigError(name, `is not a producer option (known options: ${Object.keys(CHECKS).join(', ')})`);
    if (value !== undefined) check(name, value);
  }
  if (options.bootstrapServers === undefined) throw new ConfigError('bootstrapServers', 'is required, e.g. "127.0.0.1:9092"');
  const bootstrapServers = parseServers(options.bootstrapServers).map(({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`));
  const acks = options.acks === undefined || options.acks === 'all' ? -1 : options.acks;
  const maxInFlight = options.maxInFlightRequestsPerConnection ?? 5;
  const retries = options.retries ?? INT_MAX;

  // Idempotence is the default, but only an explicit true makes conflicting
  // choices an error; left at its default it yields to them (Java 3.0+).
  const conflicts: string[] = [];
  if (acks !== -1) conflicts.push(`acks=${options.acks} (needs 'all')`);
  if (maxInFlight > 5) conflicts.push(`maxInFlightRequestsPerConnection=${maxInFlight} (needs 5 or fewer)`);
  if (retries === 0) conflicts.push('retries=0 (needs retries)');
  const transactionalId = options.transactionalId ?? null;
  // A transaction is the producer id, epoch and sequences of idempotence plus
  // the coordinator's markers: without idempotence there is nothing to commit.
  if (transactionalId !== null && options.enableIdempotence === false) {
    throw new ConfigError('enableIdempotence', 'false conflicts with transactionalId: a transactional producer is idempotent; remove enableIdempotence: false, or transactionalId');
  }
  if (transactionalId !== null && conflicts.length > 0) {
    throw new ConfigError('transactionalId', `makes the producer idempotent, which conflicts with ${conflicts.join(', ')}; change those, or leave transactionalId unset`);
  }
  if (options.enableIdempotence === true && conflicts.length > 0) {
    throw new ConfigError('enableIdempotence', `true conflicts with ${conflicts.join(', ')}; change those or set enableIdempotence: false`);
  }
  // More than 5 in flight would let the broker's 5-batch duplicate window
  // miss a retry; unlike acks or retries it is no reason to drop idempotence
  // quietly, so it must be asked for with enableIdempotence: false.
  if (maxInFlight > 5 && options.enableIdempotence !== false) {
    throw new ConfigError(
      'maxInFlightRequestsPerConnection',
      `${maxInFlight} is more than 5, the most an idempotent producer may have in flight; use 5 or fewer, or set enableIdempotence: false (and accept duplicates and reordering on retries)`,
    );
  }
  const enableIdempotence = options.enableIdempotence ?? conflicts.length === 0;

  const lingerMs = options.lingerMs ?? 5;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? Math.max(120_000, lingerMs + requestTimeoutMs);
  if (deliveryTimeoutMs < lingerMs + requestTimeoutMs) {
    throw new ConfigError('deliveryTimeoutMs', `must be at least lingerMs + requestTimeoutMs (${lingerMs + requestTimeoutMs}), got ${deliveryTimeoutMs}`);
  }
  const batchSize = options.batchSize ?? 16_384;
  const bufferMemory = options.bufferMemory ?? 33_554_432;
  if (bufferMemory < batchSize) throw new ConfigError('bufferMemory', `must be at least batchSize (${batchSize}), got ${bufferMemory}`);
  const maxRequestSize = options.maxRequestSize ?? 1_048_576;
  const maxBatchSize = resolveMaxBatchSize(options.maxBatchSize, batchSize, maxRequestSize);
  const retryBackoffMs = options.retryBackoffMs ?? 100;
  const retryBackoffMaxMs = Math.max(options.retryBackoffMaxMs ?? 1000, retryBackoffMs);

  return {
    bootstrapServers,
    clientId: options.clientId ?? 'kafka-producer-ts',
    acks,
    enableIdempotence,
    lingerMs,
    batchSize,
    maxBatchSize,
    bufferMemory,
    maxBlockMs: options.maxBlockMs ?? 60_000,
    maxRequestSize,
    maxInFlightRequestsPerConnection: maxInFlight,
    connectionsPerBroker: options.connectionsPerBroker ?? 2,
    retries,
    retryBackoffMs,
    retryBackoffMaxMs,
    requestTimeoutMs,
    deliveryTimeoutMs,
    compressionType: options.compressionType ?? 'none',
    partitioner: options.partitioner ?? 'default',
    metadataMaxAgeMs: options.metadataMaxAgeMs ?? 300_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    maxResponseSize: options.maxResponseSize ?? DEFAULT_MAX_RESPONSE_SIZE,
    keySerializer: (options.keySerializer as AnySerializer | undefined) ?? null,
    valueSerializer: (options.valueSerializer as AnySerializer | undefined) ?? null,
    worker: options.worker ?? true,
    logger: options.logger ?? null,
    transactionalId,
    transactionTimeoutMs: options.transactionTimeoutMs ?? 60_000,
    ssl: options.ssl === true ? true : options.ssl ? { ...options.ssl } : null,
    sasl: options.sasl ? { ...options.sasl } : null,
  };
}

/**
 * An explicit maxBatchSize must lie between batchSize and maxRequestSize (a
 * batch is sent whole in one request); the default, 1 MiB, gives way to
 * either bound.
 */
function resolveMaxBatchSize(explicit: number | undefined, batchSize: number, maxRequestSize: number): number {
  if (explicit === undefined) return Math.max(batchSize, Math.min(1_048_576, maxRequestSize));
  if (explicit < batchSize) throw new ConfigError('maxBatchSize', `must be at least batchSize (${batchSize}), got ${explicit}; set it to batchSize to keep batches from growing`);
  if (explicit > maxRequestSize) throw new ConfigError('maxBatchSize', `must be at most maxRequestSize (${maxRequestSize}), got ${explicit}: a batch goes whole in one request; raise maxRequestSize or lower maxBatchSize`);
  return explicit;
}

export function senderConfig(c: ProducerConfig): SenderConfig {
  const { partitioner: _p, keySerializer: _k, valueSerializer: _v, worker: _w, maxBatchSize: _g, bufferMemory: _b, maxBlockMs: _m, logger: _l, sasl, ...rest } = c;
  return { ...rest, sasl: senderSasl(sasl) };
}
