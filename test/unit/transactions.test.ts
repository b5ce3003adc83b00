// The transactional producer's state machine on the caller's side, without a
// broker: which call is allowed when, what send() is refused with, and what
// each kind of failure of a step leaves behind. The sender is a script here.

import { describe, expect, it } from 'vitest';
import {
  KafkaResponseError,
  KafkaTimeoutError,
  ProducerFencedError,
  TransactionAbortableError,
  TransactionAbortedError,
  TransactionStateError,
} from '../../src/errors.js';
import type { TxnOp } from '../../src/sender/messages.js';
import { serializeError } from '../../src/sender/wire-errors.js';
import { Transactions } from '../../src/transactions.js';

/** A Transactions whose sender answers each step with the next scripted error (null: done). */
function harness(answers: (Error | null)[] = []) {
  const ops: TxnOp[] = [];
  const abandoned: Error[] = [];
  let fatal: Error | null = null;
  let flushes = 0;
  const txn: Transactions = new Transactions(1000, {
    post: (id, op) => {
      ops.push(op);
      const answer = answers.shift() ?? null;
      queueMicrotask(() => txn.answered(id, answer ? serializeError(answer) : null));
    },
    flush: async () => {
      flushes++;
    },
    abandon: (err) => abandoned.push(err),
    fatal: () => fatal,
  });
  return {
    txn,
    ops,
    abandoned,
    flushes: () => flushes,
    setFatal: (err: Error) => {
      fatal = err;
    },
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

  it('a commit timing out leaves the outcome unknown: abort is what is allowed', async () => {
    const h = harness([null, new KafkaTimeoutError('EndTxn(commit) did not succeed in time')]);
    await h.txn.init();
    h.txn.begin();
    await expect(h.txn.commit()).rejects.toBeInstanceOf(KafkaTimeoutError);
    expect(h.txn.state).toBe('abortable-error');
    expect(h.txn.sendRefusal()).toBeInstanceOf(TransactionAbortableError);
    await h.txn.abort();
    expect(h.txn.state).toBe('ready');
  });
});
