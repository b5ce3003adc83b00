// close() on the shared broker, with the sender on a worker thread and on
// the main thread: records that are being retried (their topic was deleted
// after the producer learned its partitions, so every Produce is answered
// with the retriable UNKNOWN_TOPIC_OR_PARTITION) hold close() for its
// timeout, no longer, and then fail with ProducerClosedError, while records
// of a healthy topic sent alongside are acknowledged: each settles once,
// nothing is dropped.
// After close(), no socket, timer or thread of the producer's is left.

import { describe, expect, inject, it } from 'vitest';
import diagnostics_channel from 'node:diagnostics_channel';
import { CHANNELS, KafkaProducer, ProducerClosedError, type RetryEvent } from 'kafka-producer-ts';
import { activeResources, resourcesLeft } from '../support/active-resources.js';
import { Topics } from '../../scripts/kafka/topics.js';
import { createTopic, uniqueTopic } from '../support/kafka-tools.js';
import { Ledger } from '../support/read-back.js';

const env = inject('kafka');
const CLOSE_TIMEOUT_MS = 1_500;
const DELIVERY_TIMEOUT_MS = 60_000;

describe.each([
  ['worker thread', true],
  ['main thread', false],
])('close() with the sender on the %s', (_name, worker) => {
  it('while records are being retried: waits its timeout, then fails them with ProducerClosedError; the rest are acknowledged; nothing is left running', async () => {
    const healthy = uniqueTopic('close-ok');
    const stuck = uniqueTopic('close-retried');
    await createTopic(env.bootstrap, healthy, 1);
    await createTopic(env.bootstrap, stuck, 1);
    // Whatever the test process had running before: only the producer's must go.
    const before = activeResources();
    const producer = new KafkaProducer({ bootstrapServers: env.bootstrap, worker, requestTimeoutMs: 5_000, deliveryTimeoutMs: DELIVERY_TIMEOUT_MS });
    const ok = new Ledger();
    const retried = new Ledger();
    for (let i = 0; i < 50; i++) producer.send({ topic: healthy, value: `ok-${i}` }, ok.record());
    await producer.flush();
    expect(ok.acknowledged).toBe(50);

    // metrics() counts retries only as outcomes arrive, and these records have none yet: the retry channel tells at once.
    let retries = 0;
    const onRetry = (e: unknown) => void ((e as RetryEvent).topic === stuck && retries++);
    diagnostics_channel.subscribe(CHANNELS.retry, onRetry);
    await producer.send({ topic: stuck, value: 'before the topic is deleted' }, retried.record());
    const topics = new Topics(env.bootstrap);
    await topics.delete(stuck);
    await topics.close();
    for (let i = 0; i < 100; i++) producer.send({ topic: stuck, value: `retried-${i}` }, retried.record());
    while (retries === 0) await new Promise((r) => setTimeout(r, 20));
    diagnostics_channel.unsubscribe(CHANNELS.retry, onRetry);
    // Sent just before close(): close() flushes them while the others are retried.
    for (let i = 50; i < 100; i++) producer.send({ topic: healthy, value: `ok-${i}` }, ok.record());
    const started = performance.now();
    await producer.close({ timeoutMs: CLOSE_TIMEOUT_MS });
    const tookMs = performance.now() - started;

    expect(tookMs).toBeGreaterThanOrEqual(CLOSE_TIMEOUT_MS - 5);
    // Not until the records would have expired.
    expect(tookMs).toBeLessThan(DELIVERY_TIMEOUT_MS);
    expect({ sent: ok.sent, acknowledged: ok.acknowledged, failed: ok.failed, settledTwice: ok.settledTwice }).toEqual({ sent: 100, acknowledged: 100, failed: 0, settledTwice: 0 });
    expect({ sent: retried.sent, acknowledged: retried.acknowledged, settledTwice: retried.settledTwice }).toEqual({ sent: 101, acknowledged: 1, settledTwice: 0 });
    expect(retried.errorCounts()).toEqual({ [ProducerClosedError.name]: 100 });
    expect(producer.metrics().recordsFailed).toBe(100);
    await expect(Promise.resolve(producer.send({ topic: healthy, value: 'late' }))).rejects.toBeInstanceOf(ProducerClosedError);

    // Outcomes came before close() resolved; one more turn lets anything late show (nothing may).
    await new Promise((r) => setImmediate(r));
    expect(ok.settledTwice + retried.settledTwice).toBe(0);
    expect(resourcesLeft(before)).toEqual({});
  });
});
