// The transactional producer's state machine on the caller's side, without a
// broker: which call is allowed when, what send() is refused with, and what
// each kind of failure of a step leaves behind. The sender is a script here.

import { describe, expect, it } from 'vitest';
import {
  KafkaResponseError,
  KafkaTimeoutError,
  ProducerClosedError,
  ProducerFencedError,
  TransactionAbortableError,
  TransactionAbortedError,
  TransactionStateError,
} from '../../src/errors.js';
import type { TxnOp } from '../../src/sender/messages.js';
import { serializeError } from '../../src/sender/wire-errors.js';
import { nextState, TRANSACTION_EVENTS, TRANSACTION_STATES, type TransactionEvent, type TransactionState } from '../../src/transaction-state.js';
import { Transactions } from '../../src/transactions.js';

/** A step's scripted answer: an error, null (done), or 'hold' (answered when the test calls release()). */
type Answer = Error | null | 'hold';

/** A Transactions whose sender answers each step with the next scripted answer (none left: done). */
function harness(answers: Answer[] = []) {
  const ops: TxnOp[] = [];
  const abandoned: Error[] = [];
  const held: number[] = [];
  let fatal: Error | null = null;
  let flushes = 0;
  let flushGate: Promise<void> | null = null;
  const txn: Transactions = new Transactions(1000, {
    post: (id, op) => {
      ops.push(op);
      const answer = answers.shift() ?? null;
      if (answer === 'hold') held.push(id);
      else queueMicrotask(() => txn.answered(id, answer ? serializeError(answer) : null));
    },
    flush: async () => {
      flushes++;
      await flushGate;
    },
    abandon: (err) => abandoned.push(err),
    fatal: () => fatal,
  }, 3000);
  return {
    txn,
    ops,
    abandoned,
    flushes: () => flushes,
    setFatal: (err: Error) => {
      fatal = err;
    },
    /** Answers the oldest held step. */
    release: (answer: Error | null) => {
      const id = held.shift();
      if (id === undefined) throw new Error('no step is held');
      txn.answered(id, answer ? serializeError(answer) : null);
    },
    /** Flushes wait until the returned function is called. */
    holdFlush: () => {
      let open = () => {};
      flushGate = new Promise<void>((r) => (open = r));
      return () => {
        flushGate = null;
        open();
      };
    },
    /** The steps as "kind" or "end:commit". */
    kinds: () => ops.map((o) => (o.kind === 'end' ? `end:${o.commit}` : o.kind)),
  };
}

describe('transaction calls in order', () => {
  it('init, begin, commit, begin, abort: each step goes to the sender, commit after a flush', async () => {
    const h = harness();
    expect(h.txn.sendRefusal()).toBeInstanceOf(TransactionStateError);
    await h.txn.init();
    expect(h.txn.state).toBe('ready');
    expect(h.txn.sendRefusal()?.message).toMatch(/outside a transaction/);
    h.txn.begin();
    expect(h.txn.sendRefusal()).toBeNull();
    await h.txn.sendOffsets([{ topic: 't', partition: 0, offset: 5 }], { groupId: 'g' });
    // No offsets: nothing to add, no step.
    await h.txn.sendOffsets([], { groupId: 'g' });
    await h.txn.commit();
    expect(h.flushes()).toBe(1);
    h.txn.begin();
    await h.txn.abort();
    expect(h.abandoned[0]).toBeInstanceOf(TransactionAbortedError);
    expect(h.ops.map((o) => (o.kind === 'end' ? `end:${o.commit}` : o.kind))).toEqual(['init', 'offsets', 'end:true', 'end:false']);
    expect(h.txn.state).toBe('ready');
  });
});

describe('calls out of order are refused with TransactionStateError and change nothing', () => {
  const cases: [string, (t: Transactions) => unknown, RegExp][] = [
    ['begin before init', (t) => t.begin(), /beginTransaction\(\) is not allowed while the transactional producer is not initialized \(call initTransactions\(\) first\)/],
    ['commit before init', (t) => t.commit(), /commitTransaction\(\) is not allowed .* not initialized/],
    ['abort before init', (t) => t.abort(), /abortTransaction\(\) is not allowed .* not initialized/],
    ['offsets before init', (t) => t.sendOffsets([], { groupId: 'g' }), /sendOffsetsToTransaction\(\) is not allowed .* not initialized/],
  ];
  it.each(cases)('%s', async (_name, call, message) => {
    const h = harness();
    await expect(Promise.resolve().then(() => call(h.txn))).rejects.toThrow(message);
    await expect(Promise.resolve().then(() => call(h.txn))).rejects.toBeInstanceOf(TransactionStateError);
    expect(h.txn.state).toBe('uninitialized');
    expect(h.ops).toEqual([]);
  });

  it('init twice, begin twice, commit and abort without begin', async () => {
    const h = harness();
    await h.txn.init();
    await expect(h.txn.init()).rejects.toThrow(/initTransactions\(\) is not allowed while the transactional producer is not in a transaction: it runs once per producer/);
    await expect(h.txn.commit()).rejects.toThrow(/commitTransaction\(\) is not allowed while the transactional producer is not in a transaction: call beginTransaction\(\) first/);
    await expect(h.txn.abort()).rejects.toBeInstanceOf(TransactionStateError);
    h.txn.begin();
    expect(() => h.txn.begin()).toThrow(/beginTransaction\(\) is not allowed while the transactional producer is in a transaction: commit or abort/);
    expect(h.txn.state).toBe('in-transaction');
    expect(h.ops.map((o) => o.kind)).toEqual(['init']);
  });
});

describe('a record that fails inside a transaction', () => {
  it('makes it abortable: sends are refused with the error, commit rejects with it, abort recovers', async () => {
    const h = harness();
    await h.txn.init();
    h.txn.begin();
    const failure = new KafkaResponseError(29, 'Produce to t-0');
    h.txn.recordFailed(failure);
    expect(h.txn.state).toBe('abortable-error');
    const refused = h.txn.sendRefusal();
    expect(refused).toBeInstanceOf(TransactionAbortableError);
    expect(refused?.cause).toBe(failure);
    await expect(h.txn.commit()).rejects.toBe(refused);
    await h.txn.abort();
    h.txn.begin();
    expect(h.txn.sendRefusal()).toBeNull();
  });

  it('during the commit\'s flush: commit rejects with TransactionAbortableError and sends no EndTxn', async () => {
    const h = harness();
    await h.txn.init();
    h.txn.begin();
    const commit = h.txn.commit();
    h.txn.recordFailed(new KafkaResponseError(10, 'Produce to t-1'));
    await expect(commit).rejects.toThrow(/a record of the transaction failed .* call abortTransaction\(\)/);
    expect(h.txn.state).toBe('abortable-error');
    expect(h.ops.map((o) => o.kind)).toEqual(['init']);
  });

  it('fenced while the commit flushes: commit rejects with the fatal error, not an abortable one', async () => {
    const h = harness();
    await h.txn.init();
    h.txn.begin();
    const commit = h.txn.commit();
    const fenced = new ProducerFencedError('Produce to t-0: PRODUCER_FENCED');
    h.setFatal(fenced);
    h.txn.recordFailed(new KafkaResponseError(90, 'Produce to t-0'));
    await expect(commit).rejects.toBe(fenced);
    expect(h.txn.state).toBe('fatal-error');
    expect(h.ops.map((o) => o.kind)).toEqual(['init']);
  });

  it('records failed by the abort itself do not count', async () => {
    const h = harness();
    await h.txn.init();
    h.txn.begin();
    h.txn.recordFailed(new TransactionAbortedError('aborted'));
    expect(h.txn.state).toBe('in-transaction');
  });
});

describe('a step that fails', () => {
  it('fenced: fatal-error, and every later call fails', async () => {
    const fenced = new ProducerFencedError('EndTxn(commit): fenced', new KafkaResponseError(90, 'EndTxn(commit)'));
    const h = harness([null, fenced]);
    await h.txn.init();
    h.txn.begin();
    await expect(h.txn.commit()).rejects.toBeInstanceOf(ProducerFencedError);
    expect(h.txn.state).toBe('fatal-error');
    expect(() => h.txn.begin()).toThrow(TransactionStateError);
    // Once the producer hears of it, its fatal error is what every call and send gets.
    h.setFatal(fenced);
    expect(() => h.txn.begin()).toThrow(fenced);
    expect(h.txn.sendRefusal()).toBe(fenced);
  });

  it('abortable (the coordinator refused sendOffsetsToTransaction): only abort is allowed', async () => {
    const h = harness([null, new TransactionAbortableError('TxnOffsetCommit: GROUP_AUTHORIZATION_FAILED')]);
    await h.txn.init();
    h.txn.begin();
    await expect(h.txn.sendOffsets([{ topic: 't', partition: 0, offset: 1 }], { groupId: 'g' })).rejects.toBeInstanceOf(TransactionAbortableError);
    expect(h.txn.state).toBe('abortable-error');
    await expect(h.txn.commit()).rejects.toBeInstanceOf(TransactionAbortableError);
    await h.txn.abort();
    expect(h.txn.state).toBe('ready');
  });

  it('initTransactions timing out may be called again', async () => {
    const h = harness([new KafkaTimeoutError('InitProducerId did not succeed in time')]);
    await expect(h.txn.init()).rejects.toBeInstanceOf(KafkaTimeoutError);
    expect(h.txn.state).toBe('uninitialized');
    await h.txn.init();
    expect(h.txn.state).toBe('ready');
  });

  it('a commit timing out leaves the outcome unknown: commitTransaction() again sends EndTxn(commit) again and completes it; abort is refused meanwhile (finding 3)', async () => {
    const h = harness([null, new KafkaTimeoutError('EndTxn(commit) did not succeed in time')]);
    await h.txn.init();
    h.txn.begin();
    await expect(h.txn.commit()).rejects.toBeInstanceOf(KafkaTimeoutError);
    expect(h.txn.state).toBe('committing');
    await expect(h.txn.abort()).rejects.toThrow(/abortTransaction\(\) is not allowed while the transactional producer is committing a transaction: the last commitTransaction\(\) did not complete .* call commitTransaction\(\) again/);
    expect(() => h.txn.begin()).toThrow(TransactionStateError);
    expect(h.txn.sendRefusal()).toBeInstanceOf(TransactionStateError);
    await h.txn.commit();
    expect(h.txn.state).toBe('ready');
    expect(h.kinds()).toEqual(['init', 'end:true', 'end:true']);
  });

  it('an abort timing out: abortTransaction() again completes it; commit is refused meanwhile', async () => {
    const h = harness([null, new KafkaTimeoutError('EndTxn(abort) did not succeed in time')]);
    await h.txn.init();
    h.txn.begin();
    await expect(h.txn.abort()).rejects.toBeInstanceOf(KafkaTimeoutError);
    expect(h.txn.state).toBe('aborting');
    await expect(h.txn.commit()).rejects.toThrow(/the last abortTransaction\(\) did not complete/);
    await h.txn.abort();
    expect(h.txn.state).toBe('ready');
    expect(h.kinds()).toEqual(['init', 'end:false', 'end:false']);
  });

  it('sendOffsetsToTransaction timing out makes the transaction abortable: commit is refused without EndTxn, abort works (finding 1)', async () => {
    const h = harness([null, new KafkaTimeoutError('TxnOffsetCommit for group g did not succeed in time; last error: COORDINATOR_LOAD_IN_PROGRESS')]);
    await h.txn.init();
    h.txn.begin();
    await expect(h.txn.sendOffsets([{ topic: 'in', partition: 0, offset: 7 }], { groupId: 'g' })).rejects.toBeInstanceOf(KafkaTimeoutError);
    expect(h.txn.state).toBe('abortable-error');
    const refused = h.txn.commit();
    await expect(refused).rejects.toBeInstanceOf(TransactionAbortableError);
    await expect(refused).rejects.toThrow(/TxnOffsetCommit for group g did not succeed in time.*call abortTransaction\(\)/);
    expect(h.kinds()).toEqual(['init', 'offsets']);
    await h.txn.abort();
    expect(h.kinds()).toEqual(['init', 'offsets', 'end:false']);
    expect(h.txn.state).toBe('ready');
  });
});

describe('overlapping calls (finding 4)', () => {
  it('commit while sendOffsetsToTransaction runs is refused and changes nothing; the offsets timing out later makes the transaction abortable, not in-transaction', async () => {
    const h = harness([null, 'hold']);
    await h.txn.init();
    h.txn.begin();
    const offsets = h.txn.sendOffsets([{ topic: 'in', partition: 0, offset: 7 }], { groupId: 'g' });
    await expect(h.txn.commit()).rejects.toThrow(/commitTransaction\(\) is not allowed while sendOffsetsToTransaction\(\) is still running: await it first/);
    await expect(h.txn.abort()).rejects.toBeInstanceOf(TransactionStateError);
    await expect(h.txn.sendOffsets([{ topic: 'in', partition: 1, offset: 1 }], { groupId: 'g' })).rejects.toBeInstanceOf(TransactionStateError);
    expect(h.txn.state).toBe('in-transaction');
    expect(h.txn.sendRefusal()).toBeNull();
    h.release(new KafkaTimeoutError('TxnOffsetCommit did not succeed in time'));
    await expect(offsets).rejects.toBeInstanceOf(KafkaTimeoutError);
    expect(h.txn.state).toBe('abortable-error');
    expect(h.kinds()).toEqual(['init', 'offsets']);
  });

  it('sendOffsetsToTransaction while commit runs is refused; a second commitTransaction() joins the first (one EndTxn)', async () => {
    const h = harness([null, 'hold']);
    await h.txn.init();
    h.txn.begin();
    const first = h.txn.commit();
    const second = h.txn.commit();
    expect(second).toBe(first);
    await expect(h.txn.sendOffsets([{ topic: 'in', partition: 0, offset: 7 }], { groupId: 'g' })).rejects.toBeInstanceOf(TransactionStateError);
    await new Promise((r) => setImmediate(r));
    expect(h.txn.state).toBe('committing');
    h.release(null);
    await Promise.all([first, second]);
    expect(h.txn.state).toBe('ready');
    expect(h.kinds()).toEqual(['init', 'end:true']);
  });
});

describe('a send refused during a commit (finding 6)', () => {
  it('fails only itself: the commit goes on', async () => {
    const h = harness();
    await h.txn.init();
    h.txn.begin();
    const open = h.holdFlush();
    const commit = h.txn.commit();
    const refusal = h.txn.sendRefusal();
    expect(refusal).toBeInstanceOf(TransactionStateError);
    // What the producer does with a refused send: it counts as failed.
    h.txn.recordFailed(refusal as Error);
    open();
    await commit;
    expect(h.txn.state).toBe('ready');
    expect(h.kinds()).toEqual(['init', 'end:true']);
  });
});

describe('finish() for close() (finding 5)', () => {
  it('an open transaction is aborted', async () => {
    const h = harness();
    await h.txn.init();
    h.txn.begin();
    await h.txn.finish();
    expect(h.kinds()).toEqual(['init', 'end:false']);
    expect(h.txn.state).toBe('ready');
  });

  /** A commit whose EndTxn is held, and finish() called meanwhile (as close() does). */
  async function closingDuringCommit() {
    const h = harness([null, 'hold']);
    await h.txn.init();
    h.txn.begin();
    const commit = h.txn.commit();
    await new Promise((r) => setImmediate(r));
    return { h, commit, finished: h.txn.finish() };
  }

  it('a commit under way is awaited, not cut by an abort', async () => {
    const { h, commit, finished } = await closingDuringCommit();
    h.release(null);
    await Promise.all([commit, finished]);
    expect(h.kinds()).toEqual(['init', 'end:true']);
    expect(h.txn.state).toBe('ready');
  });

  it('a commit that timed out is completed with its own outcome (EndTxn(commit) again)', async () => {
    const h = harness([null, new KafkaTimeoutError('EndTxn(commit) did not succeed in time')]);
    await h.txn.init();
    h.txn.begin();
    await expect(h.txn.commit()).rejects.toBeInstanceOf(KafkaTimeoutError);
    await h.txn.finish();
    expect(h.kinds()).toEqual(['init', 'end:true', 'end:true']);
    expect(h.txn.state).toBe('ready');
  });

  it('once the sender is gone (close() gave up waiting, or it crashed), no call posts a step: each fails with why', async () => {
    const { h, commit, finished } = await closingDuringCommit();
    const closed = new ProducerClosedError('the producer was closed');
    h.txn.failSteps(closed);
    await expect(commit).rejects.toBe(closed);
    await finished;
    await expect(h.txn.abort()).rejects.toBe(closed);
    expect(h.kinds()).toEqual(['init', 'end:true']);
  });

  it('a commit whose outcome stays unknown is called again until it completes, up to transactionTimeoutMs (3 s here, 1 s per attempt: 4 attempts)', async () => {
    const timeout = () => new KafkaTimeoutError('EndTxn(commit) did not succeed in time');
    const h = harness([null, timeout(), timeout(), timeout(), null]);
    await h.txn.init();
    h.txn.begin();
    await expect(h.txn.commit()).rejects.toBeInstanceOf(KafkaTimeoutError);
    await h.txn.finish();
    expect(h.kinds()).toEqual(['init', 'end:true', 'end:true', 'end:true', 'end:true']);
    expect(h.txn.state).toBe('ready');
    const never = harness([null, ...Array.from({ length: 10 }, timeout)]);
    await never.txn.init();
    never.txn.begin();
    await never.txn.commit().catch(() => undefined);
    await never.txn.finish();
    expect(never.kinds().filter((k) => k === 'end:true')).toHaveLength(1 + 4);
    expect(never.txn.state).toBe('committing');
  });

  it('a transaction whose commit was refused (abortable) is aborted', async () => {
    const h = harness();
    await h.txn.init();
    h.txn.begin();
    h.txn.recordFailed(new KafkaResponseError(10, 'Produce to t-0'));
    await h.txn.finish();
    expect(h.kinds()).toEqual(['init', 'end:false']);
  });
});

describe('the transition table, every (state, event) pair', () => {
  // The table written out as a grid: rows are states, columns events, '-' where the event is refused.
  const COLUMNS: TransactionEvent[] = ['init', 'init-done', 'init-failed', 'begin', 'send-offsets', 'offsets-done', 'offsets-failed', 'commit', 'commit-done', 'commit-failed', 'commit-unknown', 'abort', 'abort-done', 'abort-unknown', 'record-failed', 'fatal'];
  const U = 'uninitialized', I = 'initializing', R = 'ready', T = 'in-transaction', C = 'committing', A = 'aborting', E = 'abortable-error', F = 'fatal-error', _ = '-';
  const GRID: Record<TransactionState, string[]> = {
    //                 init init-d init-f begin offs offs-d offs-f commit com-d com-f com-u abort abo-d abo-u rec-f fatal
    uninitialized:     [I,   _,     _,     _,    _,   _,     _,     _,     _,    _,    _,    _,    _,    _,    _,    F],
    initializing:      [_,   R,     U,     _,    _,   _,     _,     _,     _,    _,    _,    _,    _,    _,    _,    F],
    ready:             [_,   _,     _,     T,    _,   _,     _,     _,     _,    _,    _,    _,    _,    _,    _,    F],
    'in-transaction':  [_,   _,     _,     _,    T,   T,     E,     C,     _,    _,    _,    A,    _,    _,    E,    F],
    committing:        [_,   _,     _,     _,    _,   _,     _,     C,     R,    E,    C,    _,    _,    _,    C,    F],
    aborting:          [_,   _,     _,     _,    _,   _,     _,     _,     _,    _,    _,    A,    R,    A,    A,    F],
    'abortable-error': [_,   _,     _,     _,    _,   E,     E,     _,     _,    _,    _,    A,    _,    _,    E,    F],
    'fatal-error':     [_,   _,     _,     _,    _,   _,     _,     _,     _,    _,    _,    _,    _,    _,    _,    F],
  };

  it('the table is the grid', () => {
    expect(COLUMNS).toEqual(TRANSACTION_EVENTS);
    for (const state of TRANSACTION_STATES) {
      for (const [i, event] of COLUMNS.entries()) expect(nextState(state, event) ?? '-', `${state} --${event}-->`).toBe(GRID[state][i]);
    }
  });

  /** Reaches `state` with no call under way (initializing: with initTransactions() under way, the only way to be there). */
  async function reach(state: TransactionState) {
    const timeout = () => new KafkaTimeoutError('did not succeed in time');
    const h = harness(
      state === 'initializing' ? ['hold'] : state === 'committing' || state === 'aborting' ? [null, timeout()] : state === 'fatal-error' ? [null, new ProducerFencedError('fenced')] : [],
    );
    if (state === 'uninitialized') return h;
    const init = h.txn.init();
    if (state === 'initializing') return h;
    await init;
    if (state === 'ready') return h;
    h.txn.begin();
    if (state === 'committing' || state === 'fatal-error') await h.txn.commit().catch(() => undefined);
    if (state === 'aborting') await h.txn.abort().catch(() => undefined);
    if (state === 'abortable-error') h.txn.recordFailed(new KafkaResponseError(10, 'Produce to t-0'));
    expect(h.txn.state).toBe(state);
    return h;
  }

  const calls: [TransactionEvent, (t: Transactions) => Promise<unknown>][] = [
    ['init', (t) => t.init()],
    ['begin', async (t) => t.begin()],
    ['send-offsets', (t) => t.sendOffsets([{ topic: 'in', partition: 0, offset: 1 }], { groupId: 'g' })],
    ['commit', (t) => t.commit()],
    ['abort', (t) => t.abort()],
  ];
  const pairs = TRANSACTION_STATES.flatMap((s) => calls.map(([e, call]) => [s, e, call] as const));

  it.each(pairs)('%s, the call %s: the table\'s next state, or refused and nothing changed', async (state, event, call) => {
    const h = await reach(state);
    const posted = h.ops.length;
    const next = nextState(state, event);
    if (state === 'initializing' && event === 'init') {
      // The same call under way is joined, not started again.
      void call(h.txn).catch(() => undefined);
      expect(h.ops.length).toBe(posted);
      expect(h.txn.state).toBe('initializing');
      return;
    }
    const result = call(h.txn);
    if (next === null) {
      const err = await result.then(() => null, (e: unknown) => e);
      expect(err instanceof TransactionStateError || err instanceof TransactionAbortableError, String(err)).toBe(true);
      expect(h.txn.state).toBe(state);
      expect(h.ops.length).toBe(posted);
    } else {
      result.catch(() => undefined);
      expect(h.txn.state).toBe(next);
    }
  });
});
