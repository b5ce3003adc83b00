// What the fake cluster (on the test's thread) and a Sender on a worker
// thread say to each other (thread-bridge.ts, remote-cluster.ts). They
// travel on the worker's own port, beside the producer's messages, so
// each direction keeps one order: a move of time, a response or a sync
// reaches the Sender in the order the test caused them.

import type { SerializedError } from '../../src/sender/messages.js';

/** The fake cluster's connection as the Sender sees it. */
export interface ConnectionFacts {
  connId: number;
  broker: string;
  port: number;
  versions: Record<string, number>;
  features: [string, number][];
}

export type ToThread =
  | { t: 'fake:hello'; now: number; brokers: { nodeId: number; host: string; port: number; rack: string | null }[] }
  | { t: 'fake:now'; now: number }
  | { t: 'fake:fire'; id: number }
  | { t: 'fake:connected'; id: number; conn: ConnectionFacts }
  | { t: 'fake:metadata'; id: number; response: unknown }
  | { t: 'fake:response'; reqId: number; error: SerializedError | null; response: unknown }
  | { t: 'fake:stalled'; connId: number; stalled: boolean }
  | { t: 'fake:closed'; connId: number }
  /** Every connection closed (their pending requests failed first), as `close()` asked. */
  | { t: 'fake:all-closed'; id: number }
  | { t: 'fake:sync'; n: number }
  /** The Sender's thread fails, as a bug in it would make it. */
  | { t: 'fake:crash'; message: string };

export type FromThread =
  | { t: 'fake:config'; requestTimeoutMs: number }
  | { t: 'fake:timer'; id: number; at: number }
  | { t: 'fake:untimer'; id: number }
  | { t: 'fake:connect'; id: number; nodeId: number | null }
  | { t: 'fake:refresh'; id: number; topics: string[] }
  /** `expectResponse` false: acks=0, answered once the bytes are written. */
  | { t: 'fake:request'; connId: number; reqId: number; api: string; body: unknown; expectResponse: boolean }
  | { t: 'fake:close'; id: number }
  | { t: 'fake:synced'; n: number };

export function isBridgeMessage(m: unknown): m is ToThread | FromThread {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string' && (m as { t: string }).t.startsWith('fake:');
}

/** Buffers arrive from another thread as plain Uint8Arrays; the code on either side expects Buffers. */
export function reviveBuffers<T>(value: T): T {
  if (value instanceof Uint8Array) return (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)) as T;
  if (Array.isArray(value)) return value.map(reviveBuffers) as T;
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) (value as Record<string, unknown>)[k] = reviveBuffers(v);
  }
  return value;
}
