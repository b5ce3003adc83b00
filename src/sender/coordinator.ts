// Requests to a coordinator (the transaction coordinator of a transactional
// id, or the group coordinator of a consumer group): found with
// FindCoordinator and remembered, found again when it moved or its
// connection failed, and each request retried with backoff while the answer
// only means "not now". What an error code means here differs from Produce
// (docs/protocol.md §5): the verdict is coordinatorVerdict's.

import { AuthenticationError, KafkaTimeoutError, ProducerClosedError, ProducerFatalError, ProducerFencedError, TransactionAbortableError, TransactionFatalError } from '../errors.js';
import { FindCoordinator } from '../protocol/apis/find-coordinator.js';
import { checked, coordinatorProblem } from '../network/response-checks.js';
import { errorInfo, KafkaResponseError } from '../protocol/errors.js';
import type { Clock } from './clock.js';
import type { SenderConnection, Transport } from './transport.js';

/** From a coordinator, INVALID_PRODUCER_EPOCH and PRODUCER_FENCED both mean a newer producer with the same transactional id took over. */
const FENCED_CODES: ReadonlySet<number> = new Set([47, 90]);

/**
 * Codes after which the transactional producer cannot go on: fenced, not
 * authorized for its transactional id or the cluster, a transaction state
 * or timeout the coordinator rejects, an unsupported version or format, or a
 * coordinator fenced itself (as Java's TransactionManager treats them).
 */
const FATAL_CODES: ReadonlySet<number> = new Set([31, 35, 43, 47, 48, 50, 52, 53, 90]);

/**
 * Codes that only doom the ongoing transaction: not authorized for a topic
 * or the group, the consumer's group membership is stale (KIP-447), the
 * coordinator lost the producer id (the abort then bumps the epoch), or it
 * said so (TRANSACTION_ABORTABLE, KIP-890, on every API as in Java).
 */
const ABORTABLE_CODES: ReadonlySet<number> = new Set([22, 25, 29, 30, 49, 59, 82, 120]);

/** UNKNOWN_PRODUCER_ID, INVALID_PRODUCER_ID_MAPPING: after the abort, the epoch is bumped (KIP-360). */
export const LOST_PRODUCER_ID_CODES: ReadonlySet<number> = new Set([49, 59]);

export type CoordinatorVerdict = 'retry' | 'find-coordinator' | 'fatal' | 'abortable' | 'unexpected';

export function coordinatorVerdict(code: number): CoordinatorVerdict {
  // COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR: it moved or is moving.
  if (code === 15 || code === 16) return 'find-coordinator';
  if (FATAL_CODES.has(code)) return 'fatal';
  if (ABORTABLE_CODES.has(code)) return 'abortable';
  // COORDINATOR_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS, timeouts, unknown partitions...
  if (errorInfo(code).retriable) return 'retry';
  return 'unexpected';
}

/** Which verdict of several decides a request: the producer's end first, then asking again, then the transaction's end. */
const VERDICT_RANK: Readonly<Record<CoordinatorVerdict, number>> = { fatal: 0, 'find-coordinator': 1, retry: 2, abortable: 3, unexpected: 4 };

/**
 * The code that decides an AddPartitionsToTxn answer, whose codes are per
 * partition: the most pressing one, 0 only when every partition was added.
 * OPERATION_NOT_ATTEMPTED (55) alone (no cause named) still means not
 * added: it is judged as unexpected, which dooms the transaction.
 */
export function addPartitionsCode(codes: readonly number[]): number {
  let worst = 0;
  for (const c of codes) {
    if (c === 0) continue;
    if (worst === 0 || VERDICT_RANK[coordinatorVerdict(c)] < VERDICT_RANK[coordinatorVerdict(worst)] || (worst === 55 && coordinatorVerdict(c) === 'unexpected')) worst = c;
  }
  return worst;
}

/** The fatal error for a coordinator's answer: ProducerFencedError when a newer instance took over. */
export function transactionFatal(err: KafkaResponseError, transactionalId: string): TransactionFatalError {
  if (FENCED_CODES.has(err.errorCode)) {
    return new ProducerFencedError(
      `${err.message}: another producer with transactionalId "${transactionalId}" called initTransactions() after this one, which fenced this one off; close this producer (its open transaction will not commit)`,
      err,
    );
  }
  return new TransactionFatalError(`${err.message}: the transactional producer "${transactionalId}" cannot go on; close it`, err);
}

export interface CoordinatorRequest<Res> {
  /** "EndTxn(commit)", for errors. */
  what: string;
  keyType: number;
  key: string;
  send(conn: SenderConnection): Promise<Res>;
  /** The answer's error code (0: done). */
  codeOf(res: Res): number;
  /** What a code the request does not expect means: AddPartitionsToTxn's dooms the transaction, the others' the producer (as in Java). */
  unexpected: 'abortable' | 'fatal';
  deadline: number;
}

export class Coordinators {
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #backoffMs: number;
  readonly #backoffMaxMs: number;
  readonly #transactionalId: string;
  readonly #known = new Map<string, Promise<SenderConnection>>();
  #closed = false;

  constructor(transport: Transport, clock: Clock, backoffMs: number, backoffMaxMs: number, transactionalId: string) {
    this.#transport = transport;
    this.#clock = clock;
    this.#backoffMs = backoffMs;
    this.#backoffMaxMs = backoffMaxMs;
    this.#transactionalId = transactionalId;
  }

  /**
   * Sends until answered without error. Throws a TransactionFatalError
   * (ProducerFencedError when fenced), a TransactionAbortableError, a
   * KafkaTimeoutError once the deadline passed, ProducerClosedError, or the
   * AuthenticationError of a broker that refused the credentials.
   */
  async request<Res>(r: CoordinatorRequest<Res>): Promise<Res> {
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw new ProducerClosedError(`the producer was closed before ${r.what} was answered`);
      let last: Error;
      let code: number;
      try {
        const conn = await this.#connection(r.keyType, r.key);
        const res = await r.send(conn);
        code = r.codeOf(res);
        if (code === 0) return res;
        last = new KafkaResponseError(code, r.what);
      } catch (err) {
        // Refused credentials stay refused, and a request the client cannot build (ProducerFatalError) stays unbuildable: no retry until the deadline.
        if (err instanceof AuthenticationError || err instanceof ProducerFatalError) throw err;
        // FindCoordinator's own refusal is judged like the request's; a lost connection means find it again.
        last = err as Error;
        code = err instanceof KafkaResponseError ? err.errorCode : 15;
      }
      const judged = coordinatorVerdict(code);
      const verdict = judged === 'unexpected' ? r.unexpected : judged;
      if (verdict === 'fatal') {
        throw transactionFatal(last instanceof KafkaResponseError ? last : new KafkaResponseError(code, r.what), this.#transactionalId);
      }
      if (verdict === 'abortable') {
        throw new TransactionAbortableError(`${last.message}: the transaction cannot commit; call abortTransaction(), then begin another`, last);
      }
      if (verdict === 'find-coordinator') this.#known.delete(`${r.keyType}:${r.key}`);
      // CONCURRENT_TRANSACTIONS clears within milliseconds (the previous transaction's markers): ask again soon, as Java does.
      const base = code === 51 ? Math.min(20, this.#backoffMs) : this.#backoffMs;
      const wait = Math.min(this.#backoffMaxMs, base * 2 ** Math.min(attempt, 10));
      if (this.#clock.now() + wait > r.deadline) throw new KafkaTimeoutError(`${r.what} did not succeed in time; last error: ${last.message}`, last);
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, wait));
    }
  }

  close(): void {
    this.#closed = true;
  }

  #connection(keyType: number, key: string): Promise<SenderConnection> {
    const id = `${keyType}:${key}`;
    let conn = this.#known.get(id);
    if (!conn) {
      conn = this.#find(keyType, key);
      this.#known.set(id, conn);
      conn.catch(() => {
        if (this.#known.get(id) === conn) this.#known.delete(id);
      });
    }
    return conn.then((c) => (c.closed ? Promise.reject(new KafkaResponseError(15, `the coordinator connection for ${key} closed`)) : c));
  }

  async #find(keyType: number, key: string): Promise<SenderConnection> {
    const any = await this.#transport.anyConnection();
    const res = await any.request(FindCoordinator, { key, keyType, coordinatorKeys: [key] });
    // v4+ answers per key; below v4 the answer is the response itself.
    const c = res.coordinators?.[0] ?? { errorCode: res.errorCode ?? -1, nodeId: res.nodeId ?? -1, host: res.host ?? '', port: res.port ?? -1 };
    if (c.errorCode !== 0) throw new KafkaResponseError(c.errorCode, `FindCoordinator for ${key}`);
    // An address that cannot be right is as good as no answer: looked up again after the backoff.
    checked(c, coordinatorProblem(c, any.broker));
    this.#transport.metadata.addBroker({ nodeId: c.nodeId, host: c.host, port: c.port, rack: null });
    return this.#transport.connectionTo(c.nodeId);
  }
}
