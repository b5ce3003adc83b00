// The test's side of a Sender on a worker thread (remote-cluster.ts): answers
// its connections, requests and Metadata from the FakeCluster, keeps its
// timers in the ManualClock, and tells it every move of time. settle() waits
// until both threads are quiet, so that a test on the worker host is as
// deterministic as one on the main thread.

import type { Worker } from 'node:worker_threads';
import type { Api } from '../../src/protocol/api.js';
import { InitProducerId } from '../../src/protocol/apis/init-producer-id.js';
import { Produce } from '../../src/protocol/apis/produce.js';
import type { FromSender } from '../../src/sender/messages.js';
import { serializeError } from '../../src/sender/wire-errors.js';
import { BROKERS, turns, type FakeCluster, type FakeConnection } from './fake-cluster.js';
import { isBridgeMessage, reviveBuffers, type FromThread, type ToThread } from './thread-messages.js';

/** The requests the fake cluster answers, by name. */
const APIS = new Map<string, Api<unknown, unknown>>([Produce, InitProducerId].map((a) => [a.name, a as Api<unknown, unknown>]));

/** Rounds without a message either way before the threads count as quiet: one round can cross a late wake-up. */
const QUIET_ROUNDS = 2;

export class ThreadBridge {
  readonly #cluster: FakeCluster;
  readonly #worker: Worker;
  readonly #connections = new Map<number, FakeConnection>();
  readonly #timers = new Map<number, unknown>();
  readonly #synced = new Map<number, () => void>();
  #nextSync = 0;
  #nextConn = 0;
  /** Messages either way, syncs and moves of time left out: what settle() watches. */
  #activity = 0;
  #exited = false;

  /** `onSenderMessage`: every message the Sender sent the producer, as the producer got it. */
  constructor(cluster: FakeCluster, worker: Worker, onSenderMessage: (m: FromSender) => void) {
    this.#cluster = cluster;
    this.#worker = worker;
    worker.on('message', (m: FromSender | FromThread) => {
      if (!isBridgeMessage(m)) {
        this.#activity++;
        onSenderMessage(m);
        return;
      }
      this.#receive(m as FromThread);
    });
    worker.on('exit', () => {
      this.#exited = true;
      for (const done of this.#synced.values()) done();
    });
    cluster.clock.onMove = (now) => this.#post({ t: 'fake:now', now }, false);
    cluster.clock.settle = () => this.settle();
    this.#post({ t: 'fake:hello', now: cluster.clock.now(), brokers: BROKERS }, false);
  }

  /** Makes the Sender's thread throw, as a bug in the Sender would. */
  crash(message: string): void {
    this.#post({ t: 'fake:crash', message });
  }

  /** Waits until neither thread has anything left to do at this time. */
  async settle(): Promise<void> {
    let quiet = 0;
    for (let round = 0; quiet < QUIET_ROUNDS; round++) {
      if (round > 10_000) throw new Error('the Sender thread never went quiet');
      if (this.#exited) return turns();
      const before = this.#activity;
      const n = this.#nextSync++;
      const synced = new Promise<void>((resolve) => this.#synced.set(n, resolve));
      this.#post({ t: 'fake:sync', n }, false);
      await synced;
      await turns();
      quiet = this.#activity === before ? quiet + 1 : 0;
    }
  }

  #post(m: ToThread, counts = true): void {
    if (this.#exited) return;
    if (counts) this.#activity++;
    this.#worker.postMessage(m);
  }

  #receive(m: FromThread): void {
    if (m.t === 'fake:synced') {
      this.#synced.get(m.n)?.();
      this.#synced.delete(m.n);
      return;
    }
    this.#activity++;
    const cluster = this.#cluster;
    switch (m.t) {
      case 'fake:config':
        cluster.requestTimeoutMs = m.requestTimeoutMs;
        return;
      case 'fake:timer':
        this.#timers.set(
          m.id,
          cluster.clock.setTimeout(() => {
            this.#timers.delete(m.id);
            this.#post({ t: 'fake:fire', id: m.id });
          }, m.at - cluster.clock.now()),
        );
        return;
      case 'fake:untimer':
        cluster.clock.clearTimeout(this.#timers.get(m.id));
        this.#timers.delete(m.id);
        return;
      case 'fake:connect':
        void (m.nodeId === null ? cluster.anyConnection() : cluster.connectionTo(m.nodeId)).then((c) => {
          const conn = c as FakeConnection;
          const connId = this.#nextConn++;
          this.#connections.set(connId, conn);
          conn.once('close', () => this.#post({ t: 'fake:closed', connId }));
          this.#post({
            t: 'fake:connected',
            id: m.id,
            conn: { connId, broker: conn.broker, port: conn.port, versions: Object.fromEntries(cluster.versions), features: [...cluster.features] },
          });
        });
        return;
      case 'fake:refresh':
        this.#post({ t: 'fake:metadata', id: m.id, response: cluster.metadataResponse(m.topics) });
        return;
      case 'fake:request':
        this.#request(m);
        return;
      case 'fake:close':
        void cluster.close().then(() => this.#post({ t: 'fake:all-closed', id: m.id }));
        return;
    }
  }

  #request(m: Extract<FromThread, { t: 'fake:request' }>): void {
    const conn = this.#connections.get(m.connId);
    const api = APIS.get(m.api);
    if (!conn || !api) throw new Error(`the fake cluster has no connection ${m.connId} or does not answer ${m.api}`);
    const answer = (err: Error | null, response?: unknown) =>
      this.#post({ t: 'fake:response', reqId: m.reqId, error: err ? serializeError(err) : null, response });
    const body = reviveBuffers(m.body);
    const stalled = conn.stalled;
    if (m.expectResponse) conn.requestWithCallback(api, body, answer);
    else conn.sendWithoutResponse(api, body, (err) => answer(err));
    if (conn.stalled !== stalled) this.#post({ t: 'fake:stalled', connId: m.connId, stalled: conn.stalled });
  }
}
