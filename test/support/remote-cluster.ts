// The fake cluster as a Sender on a worker thread sees it: a Transport and a
// Clock that forward to the FakeCluster and ManualClock on the test's thread
// (thread-bridge.ts). Timers are kept there, in the ManualClock's one order;
// this side keeps the callbacks and its copy of the time.

import type { Clock } from '../../src/sender/clock.js';
import type { SenderConnection, Transport } from '../../src/sender/transport.js';
import type { Api } from '../../src/protocol/api.js';
import type { ResponseCallback } from '../../src/network/connection.js';
import { ConnectionClosedError } from '../../src/network/errors.js';
import { MetadataCache } from '../../src/network/metadata-cache.js';
import { deserializeError } from '../../src/sender/wire-errors.js';
import { reviveBuffers, type ConnectionFacts, type FromThread, type ToThread } from './thread-messages.js';

type Post = (m: FromThread) => void;

class RemoteClock implements Clock {
  #now = 0;
  #nextId = 0;
  readonly #timers = new Map<number, () => void>();
  readonly #post: Post;

  constructor(post: Post) {
    this.#post = post;
  }

  now(): number {
    return this.#now;
  }

  moveTo(now: number): void {
    this.#now = now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, fn);
    this.#post({ t: 'fake:timer', id, at: this.#now + Math.max(0, ms) });
    return id;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle !== 'number' || !this.#timers.delete(handle)) return;
    this.#post({ t: 'fake:untimer', id: handle });
  }

  setImmediate(fn: () => void): void {
    setImmediate(fn);
  }

  random(): number {
    return 0.5;
  }

  fire(id: number): void {
    const fn = this.#timers.get(id);
    this.#timers.delete(id);
    fn?.();
  }
}

class RemoteConnection implements SenderConnection {
  readonly broker: string;
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly finalizedFeatures: ReadonlyMap<string, number>;
  closed = false;
  writableNeedDrain = false;
  readonly #facts: ConnectionFacts;
  readonly #cluster: RemoteCluster;
  readonly #closeListeners: (() => void)[] = [];

  constructor(cluster: RemoteCluster, facts: ConnectionFacts) {
    this.#cluster = cluster;
    this.#facts = facts;
    this.broker = facts.broker;
    this.port = facts.port;
    this.finalizedFeatures = new Map(facts.features);
  }

  get inFlight(): number {
    return this.#cluster.inFlight(this.#facts.connId);
  }

  versionFor(api: Api<unknown, unknown>): number {
    return this.#facts.versions[api.name] ?? api.maxVersion;
  }

  request<Req, Res>(api: Api<Req, Res>, body: Req, opts?: { version?: number; timeoutMs?: number }): Promise<Res> {
    return new Promise((resolve, reject) => this.requestWithCallback(api, body, (err, res) => (err ? reject(err) : resolve(res as Res)), opts));
  }

  requestWithCallback<Req, Res>(api: Api<Req, Res>, body: Req, callback: ResponseCallback<Res>, _opts?: { version?: number; timeoutMs?: number }): void {
    if (this.closed) callback(new ConnectionClosedError(this.broker, 'the connection is closed'));
    else this.#cluster.request(this.#facts.connId, api.name, body, true, callback as ResponseCallback<unknown>);
  }

  sendWithoutResponse<Req>(api: Api<Req, unknown>, body: Req, callback: (err: Error | null) => void): void {
    if (this.closed) callback(new ConnectionClosedError(this.broker, 'the connection is closed'));
    else this.#cluster.request(this.#facts.connId, api.name, body, false, (err) => callback(err));
  }

  once(_event: 'close', listener: () => void): unknown {
    this.#closeListeners.push(listener);
    return this;
  }

  onClosed(): void {
    this.closed = true;
    for (const l of this.#closeListeners.splice(0)) l();
  }
}

export class RemoteCluster implements Transport {
  readonly metadata = new MetadataCache();
  readonly clock: RemoteClock;
  readonly #post: Post;
  #nextId = 0;
  readonly #connecting = new Map<number, (c: RemoteConnection) => void>();
  readonly #refreshing = new Map<number, (err: Error | null) => void>();
  readonly #closing = new Map<number, () => void>();
  readonly #connections = new Map<number, RemoteConnection>();
  /** Requests by id, with the connection each went on. */
  readonly #pending = new Map<number, { connId: number; callback: ResponseCallback<unknown> }>();
  /** acks=0 writes by id: answered once written, and not in flight. */
  readonly #written = new Map<number, ResponseCallback<unknown>>();

  constructor(post: Post) {
    this.#post = post;
    this.clock = new RemoteClock(post);
  }

  /** The Sender's transport factory calls this with its config. */
  configure(requestTimeoutMs: number): this {
    this.#post({ t: 'fake:config', requestTimeoutMs });
    return this;
  }

  connectionTo(nodeId: number): Promise<SenderConnection> {
    return this.#connect(nodeId);
  }

  anyConnection(): Promise<SenderConnection> {
    return this.#connect(null);
  }

  refreshMetadata(topics: readonly string[]): Promise<MetadataCache> {
    const id = this.#nextId++;
    this.#post({ t: 'fake:refresh', id, topics: [...topics] });
    return new Promise((resolve, reject) => this.#refreshing.set(id, (err) => (err ? reject(err) : resolve(this.metadata))));
  }

  /** As the Cluster's: resolves once every connection is closed and its pending requests failed. */
  close(): Promise<void> {
    const id = this.#nextId++;
    this.#post({ t: 'fake:close', id });
    return new Promise((resolve) => this.#closing.set(id, resolve));
  }

  inFlight(connId: number): number {
    let n = 0;
    for (const p of this.#pending.values()) if (p.connId === connId) n++;
    return n;
  }

  request(connId: number, api: string, body: unknown, expectResponse: boolean, callback: ResponseCallback<unknown>): void {
    const reqId = this.#nextId++;
    if (expectResponse) this.#pending.set(reqId, { connId, callback });
    else this.#written.set(reqId, callback);
    this.#post({ t: 'fake:request', connId, reqId, api, body, expectResponse });
  }

  /** A message from the test's thread. */
  receive(m: ToThread): void {
    switch (m.t) {
      case 'fake:hello':
        this.clock.moveTo(m.now);
        for (const b of m.brokers) this.metadata.addBroker(b);
        return;
      case 'fake:now':
        this.clock.moveTo(m.now);
        return;
      case 'fake:fire':
        this.clock.fire(m.id);
        return;
      case 'fake:connected': {
        const conn = new RemoteConnection(this, m.conn);
        this.#connections.set(m.conn.connId, conn);
        this.#connecting.get(m.id)?.(conn);
        this.#connecting.delete(m.id);
        return;
      }
      case 'fake:metadata': {
        // As the Cluster's refresh: an answer the cache refuses fails the refresh.
        let refused: Error | null = null;
        try {
          this.metadata.update(reviveBuffers(m.response) as Parameters<MetadataCache['update']>[0]);
        } catch (err) {
          refused = err as Error;
        }
        this.#refreshing.get(m.id)?.(refused);
        this.#refreshing.delete(m.id);
        return;
      }
      case 'fake:response': {
        const callback = this.#pending.get(m.reqId)?.callback ?? this.#written.get(m.reqId);
        this.#pending.delete(m.reqId);
        this.#written.delete(m.reqId);
        if (m.error) callback?.(deserializeError(m.error));
        else callback?.(null, reviveBuffers(m.response));
        return;
      }
      case 'fake:stalled': {
        const conn = this.#connections.get(m.connId);
        if (conn) conn.writableNeedDrain = m.stalled;
        return;
      }
      case 'fake:closed':
        this.#connections.get(m.connId)?.onClosed();
        return;
      case 'fake:all-closed':
        this.#closing.get(m.id)?.();
        this.#closing.delete(m.id);
        return;
      case 'fake:sync':
      case 'fake:crash':
        // The entry handles these (sender-thread.ts).
        return;
    }
  }

  #connect(nodeId: number | null): Promise<SenderConnection> {
    const id = this.#nextId++;
    this.#post({ t: 'fake:connect', id, nodeId });
    return new Promise((resolve) => this.#connecting.set(id, resolve));
  }
}
