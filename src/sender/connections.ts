// The sender's connections to leaders, by node id and lane (connectionsPerBroker
// connections to each broker, a partition always on the same lane), with a
// reconnect backoff per broker (doubling from retryBackoffMs up to
// retryBackoffMaxMs; any lane failing backs the whole broker off) and the last
// error of each, the cause when batches for it expire.

import { MAX_CONNECTIONS_PER_BROKER } from '../config.js';
import type { Clock } from './clock.js';
import type { SenderConnection, Transport } from './transport.js';

export interface ConnectionHooks {
  /** A connection opened: batches may go. */
  opened(): void;
  /** A connection could not be opened. */
  failed(nodeId: number, err: Error): void;
  scheduleAt(at: number): void;
}

export class NodeConnections {
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #hooks: ConnectionHooks;
  readonly #backoffMs: number;
  readonly #backoffMaxMs: number;
  /** By key(nodeId, lane). */
  readonly #open = new Map<number, SenderConnection>();
  readonly #connecting = new Set<number>();
  readonly #backoff = new Map<number, { until: number; failures: number; error: Error }>();
  #closed = false;

  constructor(transport: Transport, clock: Clock, backoffMs: number, backoffMaxMs: number, hooks: ConnectionHooks) {
    this.#transport = transport;
    this.#clock = clock;
    this.#backoffMs = backoffMs;
    this.#backoffMaxMs = backoffMaxMs;
    this.#hooks = hooks;
  }

  /** An open connection to the node on this lane, or undefined (and one is being opened). */
  get(nodeId: number, lane: number): SenderConnection | undefined {
    const conn = this.#open.get(key(nodeId, lane));
    if (conn && !conn.closed) return conn;
    this.connect(nodeId, lane);
    return undefined;
  }

  /** The open connection to the node on this lane, if any, without opening one. */
  peek(nodeId: number, lane: number): SenderConnection | undefined {
    const conn = this.#open.get(key(nodeId, lane));
    return conn && !conn.closed ? conn : undefined;
  }

  /** Open connections, for requests any broker answers: the least loaded first. */
  leastLoaded(): SenderConnection | undefined {
    let best: SenderConnection | undefined;
    for (const c of this.#open.values()) if (!c.closed && (!best || c.inFlight < best.inFlight)) best = c;
    return best;
  }

  /** Until when the node is not to be tried (0: now), and why. */
  backoffOf(nodeId: number): { until: number; error: Error } | undefined {
    return this.#backoff.get(nodeId);
  }

  connect(nodeId: number, lane: number): void {
    const k = key(nodeId, lane);
    if (this.#connecting.has(k) || this.#closed || this.#open.get(k)?.closed === false) return;
    const b = this.#backoff.get(nodeId);
    if (b && b.until > this.#clock.now()) {
      this.#hooks.scheduleAt(b.until);
      return;
    }
    this.#connecting.add(k);
    this.#transport.connectionTo(nodeId, lane).then(
      (conn) => {
        this.#connecting.delete(k);
        if (this.#closed) return;
        this.#open.set(k, conn);
        conn.once('close', () => {
          if (this.#open.get(k) === conn) this.#open.delete(k);
        });
        this.#hooks.opened();
      },
      (err: Error) => {
        this.#connecting.delete(k);
        if (this.#closed) return;
        this.backOff(nodeId, err);
        this.#hooks.failed(nodeId, err);
      },
    );
  }

  backOff(nodeId: number, error: Error): void {
    const prev = this.#backoff.get(nodeId);
    const failures = (prev?.failures ?? 0) + 1;
    const until = this.#clock.now() + Math.min(this.#backoffMaxMs, this.#backoffMs * 2 ** (failures - 1));
    this.#backoff.set(nodeId, { until, failures, error });
    this.#hooks.scheduleAt(until);
  }

  /** The node answered: its backoff is over. */
  healthy(nodeId: number): void {
    this.#backoff.delete(nodeId);
  }

  close(): void {
    this.#closed = true;
  }
}

function key(nodeId: number, lane: number): number {
  return nodeId * MAX_CONNECTIONS_PER_BROKER + lane;
}
