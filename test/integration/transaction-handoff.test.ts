// A record sent in the same task just before abortTransaction() belongs to
// the aborted transaction, never to the next one (issue 21, finding 2). Main
// holds the batches it appends to until the task's microtasks run and only
// then announces them to the sender; the abort's step, posted to the
// sender's thread, must not overtake that announcement. Here main's thread
// stays busy for a second after the call, as a loaded event loop would, so
// the sender on the worker thread handles the abort before main's
// microtasks run. kcat with read_committed judges what was committed.

import { afterEach, describe, expect, inject, it } from 'vitest';
import { KafkaProducer, TransactionAbortedError } from 'kafka-producer-ts';
import { createTopic, kcatConsumeAtLeast, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');
const producers: KafkaProducer[] = [];

afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.close({ timeoutMs: 10_000 })));
});

/** Blocks this thread (not the sender's worker thread) for `ms`. */
function busy(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe.each([
  ['worker', true],
  ['main', false],
])('a record sent just before abortTransaction(), the sender on the %s thread', (_host, worker) => {
  it('is aborted with that transaction: the next commit does not carry it', async () => {
    const topic = uniqueTopic('txn-handoff');
    await createTopic(env.bootstrap, topic, 1);
    const p = new KafkaProducer({ bootstrapServers: env.bootstrap, transactionalId: uniqueTopic('txn-id'), lingerMs: 1, worker });
    producers.push(p);
    await p.initTransactions();
    p.beginTransaction();
    await p.send({ topic, value: 'first' });
    await p.commitTransaction();

    p.beginTransaction();
    const late = p.send({ topic, value: 'late' }).then(
      () => 'written',
      (err: unknown) => err,
    );
    const aborted = p.abortTransaction();
    busy(1000);
    await aborted;
    // Written and then aborted (the sender sent it before the abort's step arrived), or failed by the abort.
    const outcome = await late;
    expect(outcome === 'written' || outcome instanceof TransactionAbortedError, `late: ${String(outcome)}`).toBe(true);

    p.beginTransaction();
    await p.send({ topic, value: 'next' });
    await p.commitTransaction();
    const committed = (await kcatConsumeAtLeast(env.bootstrap, topic, 2, 20_000, 'read_committed')).map((m) => m.payload);
    expect(committed).toEqual(['first', 'next']);
  });
});
