// The client's view of a cluster: bootstrap from a list of servers, one
// connection per broker (opened on first use, reopened after it closes; the
// sender may ask for further ones, lanes, for Produce), and the metadata
// cache. Concurrent callers asking for the same broker share one
// connection attempt. Every connection opened, closed or failed is told to
// onConnectionEvent when given (the producer's diagnostics). Once a broker
// refuses the credentials (AuthenticationError), no connection is opened any
// more: every later call fails with that error, so wrong credentials cost
// one attempt, not one per retry.

import { Metadata } from '../protocol/apis/metadata.js';
import { KafkaClientError } from '../protocol/errors.js';
import { Connection, describeBroker, type ConnectionOptions } from './connection.js';
import type { SaslOptions } from './sasl/session.js';
import type { TlsOptions } from './tls.js';
import { AuthenticationError, BootstrapError } from './errors.js';
import { MetadataCache, type BrokerInfo } from './metadata-cache.js';

/** A broker that could not be reached is not tried again for cluster-wide requests for this long. */
const CONNECT_FAILURE_MEMORY_MS = 1000;

export { BootstrapError };

export interface ClusterOptions {
  /** "host:port,host:port" or a list of "host:port". */
  bootstrapServers: string | readonly string[];
  clientId?: string | null;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Largest response accepted from a broker (see ConnectionOptions). */
  maxResponseSize?: number;
  /** TLS to every broker: true for the system's CAs, or options. */
  tls?: true | TlsOptions | null;
  sasl?: SaslOptions | null;
  /** Told of every connection opened, closed, or that failed to open (for diagnostics). */
  onConnectionEvent?: (event: ClusterConnectionEvent) => void;
}

export interface ClusterConnectionEvent {
  type: 'open' | 'close' | 'error';
  /** host:port, and the node id when known: as errors name the broker. */
  broker: string;
  host: string;
  port: number;
  /** null for a bootstrap server not yet known by its node id. */
  nodeId: number | null;
  /** Why it failed or closed; null when the client closed it. */
  error: Error | null;
}

export interface HostPort {
  host: string;
  port: number;
}

/** Parses bootstrap servers; IPv6 hosts go in brackets: "[::1]:9092". */
export function parseBootstrapServers(servers: string | readonly string[]): HostPort[] {
  const list = (typeof servers === 'string' ? servers.split(',') : [...servers]).map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new BootstrapError('bootstrapServers is empty: give at least one "host:port", e.g. "127.0.0.1:9092"');
  return list.map((s) => {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/.exec(s);
    if (!m) throw new BootstrapError(`bootstrap server "${s}" is not "host:port" (IPv6 hosts go in brackets: "[::1]:9092")`);
    const port = Number(m[3]);
    if (port < 1 || port > 65535) throw new BootstrapError(`bootstrap server "${s}" has port ${port}; a port is 1 to 65535`);
    return { host: (m[1] ?? m[2]) as string, port };
  });
}

export class Cluster {
  readonly metadata = new MetadataCache();
  readonly #bootstrap: HostPort[];
  readonly #connOpts: Omit<ConnectionOptions, 'host' | 'port'>;
  readonly #onConnectionEvent: ((event: ClusterConnectionEvent) => void) | null;
  readonly #connections = new Map<number, Promise<Connection>>();
  /** Further connections to brokers, for Produce only (connectionsPerBroker): "node/lane" to connection. */
  readonly #lanes = new Map<string, Promise<Connection>>();
  #bootstrapConn: Promise<Connection> | null = null;
  /** When a connection to a broker last failed to open (anyConnection skips it for a while). */
  readonly #connectFailedAt = new Map<number, number>();
  #closed = false;
  /** Aborts connections still being opened when the client closes. */
  readonly #closing = new AbortController();
  /** Set by the first refusal of our credentials: no connection is tried after it. */
  #refused: AuthenticationError | null = null;

  constructor(opts: ClusterOptions) {
    this.#bootstrap = parseBootstrapServers(opts.bootstrapServers);
    this.#connOpts = {
      clientId: opts.clientId ?? 'kafka-producer-ts',
      connectTimeoutMs: opts.connectTimeoutMs,
      requestTimeoutMs: opts.requestTimeoutMs,
      maxResponseSize: opts.maxResponseSize,
      tls: opts.tls ?? null,
      sasl: opts.sasl ?? null,
    };
    this.#onConnectionEvent = opts.onConnectionEvent ?? null;
  }

  /**
   * A connection to any broker, the least loaded, as Java's leastLoadedNode:
   * an idle open connection; else one to a known broker not connected yet
   * (busy connections may hold requests a failing broker never answers);
   * else the least busy open one; else a bootstrap server.
   */
  async anyConnection(): Promise<Connection> {
    this.#checkOpen();
    // Metadata and InitProducerId must not wait behind Produce requests held by a failing leader.
    let best: Connection | null = null;
    for (const [nodeId, pending] of this.#connections) {
      const conn = await pending.catch(() => null);
      if (!conn || conn.closed) {
        this.#connections.delete(nodeId);
        continue;
      }
      if (!best || conn.inFlight < best.inFlight) best = conn;
    }
    if (best?.inFlight === 0) return best;
    const now = Date.now();
    for (const nodeId of this.metadata.brokers.keys()) {
      if (this.#connections.has(nodeId) || now - (this.#connectFailedAt.get(nodeId) ?? -Infinity) < CONNECT_FAILURE_MEMORY_MS) continue;
      const conn = await this.connectionTo(nodeId).catch(() => {
        this.#connectFailedAt.set(nodeId, Date.now());
        return null;
      });
      if (conn && !conn.closed) return conn;
    }
    if (best) return best;
    if (this.#bootstrapConn) {
      const conn = await this.#bootstrapConn.catch(() => null);
      if (conn && !conn.closed) return conn;
    }
    this.#bootstrapConn = this.#connectBootstrap();
    return this.#bootstrapConn;
  }

  async #connectBootstrap(): Promise<Connection> {
    const failures: string[] = [];
    let last: unknown;
    // Start at a random server so many clients spread over the list.
    const start = Math.floor(Math.random() * this.#bootstrap.length);
    for (let i = 0; i < this.#bootstrap.length; i++) {
      const hp = this.#bootstrap[(start + i) % this.#bootstrap.length] as HostPort;
      try {
        return await this.#open({ ...this.#connOpts, ...hp });
      } catch (err) {
        // Every broker of a cluster takes the same credentials: another server would refuse them too.
        if (err instanceof AuthenticationError) throw err;
        failures.push((err as Error).message);
        last = err;
      }
    }
    // The message lists every server's failure; the cause is the last one, typed and naming its broker.
    throw new BootstrapError(`no bootstrap server answered: ${failures.join('; ')}`, last);
  }

  /**
   * The connection to one broker by node id, opened if needed. Lane 0 is the
   * one every request may use; other lanes are further connections to the
   * same broker, which only the sender's Produce requests use.
   */
  connectionTo(nodeId: number, lane = 0): Promise<Connection> {
    this.#checkOpen();
    const existing = lane === 0 ? this.#connections.get(nodeId) : this.#lanes.get(`${nodeId}/${lane}`);
    if (existing) return existing.then((c) => (c.closed ? this.#reconnect(nodeId, lane) : c));
    return this.#reconnect(nodeId, lane);
  }

  #reconnect(nodeId: number, lane: number): Promise<Connection> {
    const broker: BrokerInfo | undefined = this.metadata.brokers.get(nodeId);
    if (!broker) return Promise.reject(new BootstrapError(`broker ${nodeId} is not in the cluster metadata; refresh metadata first`));
    const pending = this.#open({ ...this.#connOpts, host: broker.host, port: broker.port, nodeId });
    const key = `${nodeId}/${lane}`;
    if (lane === 0) this.#connections.set(nodeId, pending);
    else this.#lanes.set(key, pending);
    pending.catch(() => {
      if (this.#connections.get(nodeId) === pending) this.#connections.delete(nodeId);
      if (this.#lanes.get(key) === pending) this.#lanes.delete(key);
    });
    return pending;
  }

  /** Connection.connect, telling onConnectionEvent (when set) how it went and, later, when it closes. */
  #open(opts: ConnectionOptions): Promise<Connection> {
    if (this.#refused) return Promise.reject(this.#refused);
    const pending = Connection.connect(opts, this.#closing.signal);
    const tell = this.#onConnectionEvent;
    const where = { host: opts.host, port: opts.port, nodeId: opts.nodeId ?? null };
    pending.then(
      (conn) => {
        tell?.({ type: 'open', broker: conn.broker, ...where, error: null });
        conn.once('close', (err: Error, byClient: boolean) => {
          // A re-authentication refused (KIP-368) ends the connection with the AuthenticationError.
          if (err instanceof AuthenticationError) this.#refused ??= err;
          tell?.({ type: 'close', broker: conn.broker, ...where, error: byClient ? null : err });
        });
      },
      (err: Error) => {
        if (err instanceof AuthenticationError) this.#refused ??= err;
        tell?.({ type: 'error', broker: describeBroker(opts), ...where, error: err });
      },
    );
    return pending;
  }

  /**
   * Refreshes metadata for these topics (null: all topics) and returns the
   * cache. With allowAutoTopicCreation the broker may create missing topics
   * when its auto.create.topics.enable is on. An answer whose values cannot
   * be right rejects with a MalformedResponseError and leaves the cache as it was.
   */
  async refreshMetadata(topics: readonly string[] | null, allowAutoTopicCreation = true): Promise<MetadataCache> {
    const conn = await this.anyConnection();
    const res = await conn.request(Metadata, {
      topics: topics === null ? null : topics.map((name) => ({ name })),
      allowAutoTopicCreation,
    });
    this.metadata.update(res, Date.now(), conn.broker);
    return this.metadata;
  }

  #checkOpen(): void {
    if (this.#closed) throw new KafkaClientError('KPT_ERR_CLOSED', 'the client is closed');
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort();
    const all = [...this.#connections.values(), ...this.#lanes.values()];
    if (this.#bootstrapConn) all.push(this.#bootstrapConn);
    this.#connections.clear();
    this.#lanes.clear();
    this.#bootstrapConn = null;
    await Promise.all(all.map((p) => p.then((c) => c.close(), () => undefined)));
  }
}
