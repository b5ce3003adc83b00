// The transactional producer's API on the caller's side: which call is
// allowed in which state (the table of src/transaction-state.ts), records
// that fail inside a transaction, and the steps handed to the sender's
// transaction manager (src/sender/transaction-manager.ts), each answered by
// id. One call runs at a time: another call meanwhile is refused with
// TransactionStateError and changes nothing, except the same
// initTransactions(), commitTransaction() or abortTransaction() again, which
// joins the one under way (as Java's cached TransactionalRequestResult).

import { ProducerFatalError, TransactionAbortableError, TransactionAbortedError, TransactionStateError } from './errors.js';
import type { GroupMetadata, SerializedError, TransactionOffset, TxnOp } from './sender/messages.js';
import { deserializeError } from './sender/wire-errors.js';
import { nextState, type TransactionEvent, type TransactionState } from './transaction-state.js';

export type { TransactionState } from './transaction-state.js';

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

type Call = 'initTransactions()' | 'beginTransaction()' | 'sendOffsetsToTransaction()' | 'commitTransaction()' | 'abortTransaction()';

/** What each call is in the table. */
const CALL_EVENT: Readonly<Record<Call, TransactionEvent>> = {
  'initTransactions()': 'init',
  'beginTransaction()': 'begin',
  'sendOffsetsToTransaction()': 'send-offsets',
  'commitTransaction()': 'commit',
  'abortTransaction()': 'abort',
};

/** Calls that a repeat joins while they run (Java caches their results); any other overlap is refused. */
const JOINABLE: ReadonlySet<Call> = new Set(['initTransactions()', 'commitTransaction()', 'abortTransaction()']);

/** The events a step's outcome is: done, refused with an abortable error, or anything else (a timeout: outcome unknown). */
interface StepEvents {
  done: TransactionEvent | null;
  abortable: TransactionEvent;
  unknown: TransactionEvent;
}

export class Transactions {
  readonly #hooks: TransactionHooks;
  readonly #timeoutMs: number;
  /** How many times finish() calls a commit or abort whose outcome stays unknown: until transactionTimeoutMs has surely passed. */
  readonly #finishAttempts: number;
  #state: TransactionState = 'uninitialized';
  /** Why the ongoing transaction cannot commit. */
  #abortable: TransactionAbortableError | null = null;
  /** The call under way, which a repeat of it joins. */
  #running: { call: Call; done: Promise<void> } | null = null;
  /** Set once the sender is gone: no step can be answered any more, so every call fails with this. */
  #gone: Error | null = null;
  #nextId = 0;
  readonly #steps = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();

  /**
   * `timeoutMs`: how long each step may take (maxBlockMs, as in Java);
   * `transactionTimeoutMs`: after it the coordinator ends an open
   * transaction itself, so close() need not try longer.
   */
  constructor(timeoutMs: number, hooks: TransactionHooks, transactionTimeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#hooks = hooks;
    this.#finishAttempts = Math.ceil(transactionTimeoutMs / Math.max(1, timeoutMs)) + 1;
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

  /**
   * A record of the transaction failed: it cannot commit any more. A send
   * refused for the transaction's state never joined it and fails only
   * itself (as Java's send() outside IN_TRANSACTION); the abort's own
   * failures do not count either.
   */
  recordFailed(err: Error): void {
    if (err instanceof TransactionAbortedError || err instanceof TransactionStateError || this.#hooks.fatal()) return;
    if (nextState(this.#state, 'record-failed') === null) return;
    if (this.#state !== 'aborting') {
      this.#abortable ??= new TransactionAbortableError(`a record of the transaction failed (${err.message}): the transaction cannot commit; call abortTransaction(), then begin another`, err);
    }
    this.#to('record-failed');
  }

  init(): Promise<void> {
    return this.#call('initTransactions()', () => this.#step({ kind: 'init' }, { done: 'init-done', abortable: 'init-failed', unknown: 'init-failed' }));
  }

  begin(): void {
    this.#refusal('beginTransaction()');
    this.#abortable = null;
    this.#to('begin');
  }

  sendOffsets(offsets: TransactionOffset[], group: GroupMetadata): Promise<void> {
    return this.#call('sendOffsetsToTransaction()', async () => {
      // No offsets, nothing to add to the transaction (as in Java).
      if (offsets.length === 0) return;
      // However it fails, the offsets may be in the transaction or not: it cannot commit (so no EndTxn(commit) goes without them).
      await this.#step({ kind: 'offsets', offsets, group }, { done: 'offsets-done', abortable: 'offsets-failed', unknown: 'offsets-failed' });
    });
  }

  /** Called again after a commit whose outcome is unknown, it sends EndTxn(commit) again: the coordinator answers as for the first. */
  commit(): Promise<void> {
    return this.#call('commitTransaction()', async () => {
      await this.#hooks.flush();
      // The producer failed for good while its records settled (fenced, say): that, not an abortable error, is the answer.
      const fatal = this.#hooks.fatal();
      if (fatal) {
        this.#to('fatal');
        throw fatal;
      }
      if (this.#abortable) {
        this.#to('commit-failed');
        throw this.#abortable;
      }
      await this.#step({ kind: 'end', commit: true }, { done: 'commit-done', abortable: 'commit-failed', unknown: 'commit-unknown' });
    });
  }

  abort(): Promise<void> {
    return this.#call('abortTransaction()', async () => {
      this.#hooks.abandon(new TransactionAbortedError('the transaction was aborted (abortTransaction()) before the record was sent'));
      await this.#step({ kind: 'end', commit: false }, { done: null, abortable: 'abort-unknown', unknown: 'abort-unknown' });
      await this.#hooks.flush();
      this.#abortable = null;
      this.#to('abort-done');
    });
  }

  /**
   * For close(), as Java's sender before it stops: the call under way
   * settles; a commit or abort whose outcome is unknown is called again
   * until it completes; an open transaction (or one whose commit was
   * refused) is aborted. Each attempt takes at most maxBlockMs, and they
   * stop once transactionTimeoutMs has surely passed: by then the
   * coordinator has ended the transaction itself. close()'s own timeout
   * bounds it all; failures are the calls' own (close() goes on regardless).
   */
  async finish(): Promise<void> {
    await this.#running?.done.catch(() => undefined);
    for (let attempt = 0; attempt < this.#finishAttempts && !this.#gone; attempt++) {
      const state = this.state;
      if (state === 'committing') await this.commit().catch(() => undefined);
      else if (state === 'aborting' || state === 'in-transaction' || state === 'abortable-error') await this.abort().catch(() => undefined);
      else return;
    }
  }

  /** The sender's answer to step `id`. */
  answered(id: number, error: SerializedError | null): void {
    const step = this.#steps.get(id);
    if (!step) return;
    this.#steps.delete(id);
    if (error) step.reject(deserializeError(error));
    else step.resolve();
  }

  /** The sender is gone: no step will be answered, and none may be posted. */
  failSteps(err: Error): void {
    this.#gone ??= err;
    for (const step of this.#steps.values()) step.reject(err);
    this.#steps.clear();
  }

  /** Starts `call` if the table allows it now, or joins the same call under way; anything else is refused. */
  #call(call: Call, run: () => Promise<void>): Promise<void> {
    const running = this.#running;
    if (running && running.call === call && JOINABLE.has(call)) return running.done;
    try {
      if (this.#gone) throw this.#gone;
      if (running) throw new TransactionStateError(`${call} is not allowed while ${running.call} is still running: await it first`);
      this.#refusal(call);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    this.#to(CALL_EVENT[call]);
    const done = run().finally(() => {
      if (this.#running?.done === done) this.#running = null;
    });
    this.#running = { call, done };
    return done;
  }

  /** Throws why `call` is not allowed now: the fatal error, the abortable one, or a TransactionStateError. */
  #refusal(call: Call): void {
    const fatal = this.#hooks.fatal();
    if (fatal) throw fatal;
    if (nextState(this.#state, CALL_EVENT[call]) !== null) return;
    if (this.#state === 'abortable-error' && this.#abortable) throw this.#abortable;
    throw new TransactionStateError(`${call} is not allowed while the transactional producer is ${describe(this.#state)}: ${hint(call, this.#state)}`);
  }

  /** The table's next state for `event`; an event it does not allow here is a bug of this class, never ignored. */
  #to(event: TransactionEvent): void {
    const next = nextState(this.#state, event);
    if (next === null) throw new TransactionStateError(`internal: ${event} is not a transition from ${this.#state}`);
    this.#state = next;
  }

  /** Runs a step on the sender; its outcome is one of `events`, looked up in the table. */
  async #step(op: TxnOp, events: StepEvents): Promise<void> {
    const id = this.#nextId++;
    try {
      await new Promise<void>((resolve, reject) => {
        this.#steps.set(id, { resolve, reject });
        this.#hooks.post(id, op, this.#timeoutMs);
      });
    } catch (err) {
      if (err instanceof ProducerFatalError || this.#hooks.fatal()) {
        this.#to('fatal');
        throw err;
      }
      const event = err instanceof TransactionAbortableError ? events.abortable : events.unknown;
      if (nextState(this.#state, event) === 'abortable-error') {
        this.#abortable ??=
          err instanceof TransactionAbortableError ? err : new TransactionAbortableError(`${(err as Error).message}: the transaction cannot commit; call abortTransaction(), then begin another`, err);
      }
      this.#to(event);
      throw err;
    }
    if (events.done) this.#to(events.done);
  }
}

function hint(call: Call, state: TransactionState): string {
  if (state === 'committing') return 'the last commitTransaction() did not complete (its outcome is unknown): call commitTransaction() again to complete it';
  if (state === 'aborting') return 'the last abortTransaction() did not complete: call abortTransaction() again to complete it';
  switch (call) {
    case 'initTransactions()':
      return 'it runs once per producer';
    case 'beginTransaction()':
      return 'commit or abort the current transaction first';
    case 'sendOffsetsToTransaction()':
      return 'call it between beginTransaction() and commitTransaction()';
    case 'commitTransaction()':
    case 'abortTransaction()':
      return 'call beginTransaction() first';
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
