// The transactional producer's API on the caller's side: which call is
// allowed in which state (the states of Java's TransactionManager), records
// that fail inside a transaction, and the steps handed to the sender's
// transaction manager (src/sender/transaction-manager.ts), each answered by
// id. A call out of order is refused with TransactionStateError and changes
// nothing.

import { ProducerFatalError, TransactionAbortableError, TransactionAbortedError, TransactionStateError } from './errors.js';
import type { GroupMetadata, SerializedError, TransactionOffset, TxnOp } from './sender/messages.js';
import { deserializeError } from './sender/wire-errors.js';

export type TransactionState = 'uninitialized' | 'initializing' | 'ready' | 'in-transaction' | 'committing' | 'aborting' | 'abortable-error' | 'fatal-error';

export interface TransactionHooks {
  /** Hands a step to the sender; its answer comes back through answered(). */
  post(id: number, op: TxnOp, timeoutMs: number): void;
  /** Every record sent so far settles. */
  flush(): Promise<void>;
  /** Sends still waiting (metadata, memory) fail with this; the sender aborts the batches (sealing open ones itself, so none slips out first). */
  abandon(err: TransactionAbortedError): void;
  /** The producer's fatal error, if any: every call fails with it. */
  fatal(): Error | null;
}

export class Transactions {
  readonly #hooks: TransactionHooks;
  readonly #timeoutMs: number;
  #state: TransactionState = 'uninitialized';
  /** Why the ongoing transaction cannot commit. */
  #abortable: TransactionAbortableError | null = null;
  #nextId = 0;
  readonly #steps = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();

  /** `timeoutMs`: how long each step may take (maxBlockMs, as in Java). */
  constructor(timeoutMs: number, hooks: TransactionHooks) {
    this.#timeoutMs = timeoutMs;
    this.#hooks = hooks;
  }

  get state(): TransactionState {
    return this.#hooks.fatal() ? 'fatal-error' : this.#state;
  }

  /** Why send() must refuse a record now, or null: records go only inside a transaction. */
  sendRefusal(): Error | null {
    const fatal = this.#hooks.fatal();
    if (fatal) return fatal;
    switch (this.#state) {
      case 'in-transaction':
        return null;
      case 'abortable-error':
        return this.#abortable;
      case 'committing':
      case 'aborting':
        return new TransactionStateError(`send() while the transaction is ${this.#state}: call beginTransaction() for the next one first`);
      case 'ready':
        return new TransactionStateError('send() outside a transaction: a transactional producer sends only between beginTransaction() and commitTransaction() or abortTransaction()');
      case 'uninitialized':
      case 'initializing':
        return new TransactionStateError('send() before initTransactions(): call initTransactions() once, then beginTransaction()');
      case 'fatal-error':
        return new TransactionStateError(`send() is not allowed while the transactional producer is ${describe(this.#state)}`);
    }
  }

  /** A record sent in the transaction failed: it cannot commit any more. */
  recordFailed(err: Error): void {
    if (err instanceof TransactionAbortedError || this.#hooks.fatal() || (this.#state !== 'in-transaction' && this.#state !== 'committing')) return;
    this.#abortable ??= new TransactionAbortableError(`a record of the transaction failed (${err.message}): the transaction cannot commit; call abortTransaction(), then begin another`, err);
    if (this.#state === 'in-transaction') this.#state = 'abortable-error';
  }

  async init(): Promise<void> {
    this.#expect('initTransactions()', ['uninitialized'], 'it runs once per producer');
    this.#state = 'initializing';
    await this.#step({ kind: 'init' }, 'uninitialized');
    this.#state = 'ready';
  }

  begin(): void {
    this.#expect('beginTransaction()', ['ready'], 'commit or abort the current transaction first');
    this.#abortable = null;
    this.#state = 'in-transaction';
  }

  async sendOffsets(offsets: TransactionOffset[], group: GroupMetadata): Promise<void> {
    this.#expect('sendOffsetsToTransaction()', ['in-transaction'], 'call it between beginTransaction() and commitTransaction()');
    // No offsets, nothing to add to the transaction (as in Java).
    if (offsets.length === 0) return;
    await this.#step({ kind: 'offsets', offsets, group }, 'in-transaction');
  }

  async commit(): Promise<void> {
    this.#expect('commitTransaction()', ['in-transaction'], 'call beginTransaction() first');
    this.#state = 'committing';
    await this.#hooks.flush();
    // The producer failed for good while its records settled (fenced, say): that, not an abortable error, is the answer.
    const fatal = this.#hooks.fatal();
    if (fatal) throw fatal;
    if (this.#abortable) {
      this.#state = 'abortable-error';
      throw this.#abortable;
    }
    // A commit that timed out may have happened or not: only an abort settles it.
    await this.#step({ kind: 'end', commit: true }, 'abortable-error');
    this.#state = 'ready';
  }

  async abort(): Promise<void> {
    this.#expect('abortTransaction()', ['in-transaction', 'abortable-error'], 'call beginTransaction() first');
    this.#state = 'aborting';
    this.#hooks.abandon(new TransactionAbortedError('the transaction was aborted (abortTransaction()) before the record was sent'));
    await this.#step({ kind: 'end', commit: false }, 'abortable-error');
    await this.#hooks.flush();
    this.#abortable = null;
    this.#state = 'ready';
  }

  /** A transaction is open (close() aborts it). */
  get open(): boolean {
    return this.state === 'in-transaction' || this.state === 'abortable-error';
  }

  /** The sender's answer to step `id`. */
  answered(id: number, error: SerializedError | null): void {
    const step = this.#steps.get(id);
    if (!step) return;
    this.#steps.delete(id);
    if (error) step.reject(deserializeError(error));
    else step.resolve();
  }

  /** The sender is gone: no step will be answered. */
  failSteps(err: Error): void {
    for (const step of this.#steps.values()) step.reject(err);
    this.#steps.clear();
  }

  #expect(call: string, allowed: TransactionState[], hint: string): void {
    const fatal = this.#hooks.fatal();
    if (fatal) throw fatal;
    if (allowed.includes(this.#state)) return;
    if (this.#state === 'abortable-error' && this.#abortable) throw this.#abortable;
    throw new TransactionStateError(`${call} is not allowed while the transactional producer is ${describe(this.#state)}: ${hint}`);
  }

  /**
   * Runs a step on the sender. Fails as it failed: fatal (the state becomes
   * fatal-error), abortable (abortable-error), or otherwise (a timeout) into
   * `otherwise`, from which the call may be tried again.
   */
  async #step(op: TxnOp, otherwise: TransactionState): Promise<void> {
    const id = this.#nextId++;
    try {
      await new Promise<void>((resolve, reject) => {
        this.#steps.set(id, { resolve, reject });
        this.#hooks.post(id, op, this.#timeoutMs);
      });
    } catch (err) {
      if (err instanceof ProducerFatalError) this.#state = 'fatal-error';
      else if (err instanceof TransactionAbortableError || otherwise === 'abortable-error') {
        this.#abortable ??=
          err instanceof TransactionAbortableError ? err : new TransactionAbortableError(`${(err as Error).message}: the transaction's outcome is unknown; call abortTransaction()`, err);
        this.#state = 'abortable-error';
      } else this.#state = otherwise;
      throw err;
    }
  }
}

function describe(state: TransactionState): string {
  switch (state) {
    case 'uninitialized':
      return 'not initialized (call initTransactions() first)';
    case 'initializing':
      return 'still in initTransactions()';
    case 'ready':
      return 'not in a transaction';
    case 'in-transaction':
      return 'in a transaction';
    case 'committing':
      return 'committing a transaction';
    case 'aborting':
      return 'aborting a transaction';
    case 'abortable-error':
      return 'in a transaction that can only be aborted';
    case 'fatal-error':
      return 'failed for good (close it)';
  }
}
