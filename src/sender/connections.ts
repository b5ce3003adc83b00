// The sender's connections to leaders, by node id, with a reconnect backoff
// per broker (doubling from retryBackoffMs up to retryBackoffMaxMs) and the
// last error of each, the cause when batches for it expire.

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

  /** An open connection to the node, or undefined (and one is being opened). */
  get(nodeId: number): SenderConnection | undefined {
    const conn = this.#open.get(nodeId);
    if (conn && !conn.closed) return conn;
    this.connect(nodeId);
    return undefined;
  }

  /** The open connection to the node, if any, without opening one. */
  peek(nodeId: number): SenderConnection | undefined {
    const conn = this.#open.get(nodeId);
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

  connect(nodeId: number): void {
    if (this.#connecting.has(nodeId) || this.#closed || this.#open.get(nodeId)?.closed === false) return;
    const b = this.#backoff.get(nodeId);
    if (b && b.until > this.#clock.now()) {
      this.#hooks.scheduleAt(b.until);
      return;
    }
    this.#connecting.add(nodeId);
    this.#transport.connectionTo(nodeId).then(
      (conn) => {
        this.#connecting.delete(nodeId);
        if (this.#closed) return;
        this.#open.set(nodeId, conn);
        conn.once('close', () => {
          if (this.#open.get(nodeId) === conn) this.#open.delete(nodeId);
        });
        this.#hooks.opened();
      },
      (err: Error) => {
        this.#connecting.delete(nodeId);
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
