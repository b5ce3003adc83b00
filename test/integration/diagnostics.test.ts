// Diagnostics against the real broker, with the sender on a worker thread
// and on the main thread: the send and Produce traces, connection, metadata
// and retry events and the logger, all published on the main thread; nothing
// published while nobody subscribes; and a throwing send callback that
// neither ends the process nor stops the other records.

import { spawn } from 'node:child_process';
import diagnostics_channel from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import {
  CHANNELS,
  ConnectionClosedError,
  InvalidRecordError,
  KafkaProducer,
  KafkaResponseError,
  KafkaTimeoutError,
  partitionForKey,
  SendResult,
  type ConnectionEvent,
  type MetadataEvent,
  type ProduceContext,
  type RetryEvent,
  type SendContext,
} from 'kafka-producer-ts';
import { Topics } from '../../scripts/kafka/topics.js';
import { closingServer } from '../support/fake-broker.js';
import { fakeLogger, recorder, stopRecording, TRACE_EVENTS, traceRecorder, type TraceEvent } from '../support/diagnostics-recorders.js';
import { createTopic, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');

afterEach(() => {
  stopRecording();
  vi.restoreAllMocks();
});

describe.each([
  ['worker thread', true],
  ['main thread', false],
])('diagnostics with the sender on the %s', (_name, worker) => {
  let topic: string;

  beforeAll(async () => {
    topic = uniqueTopic(`diag-${worker ? 'w' : 'm'}`);
    await createTopic(env.bootstrap, topic, 3);
  });

  it('a delivered record: send and Produce traces, connections opened and closed, the new topic\'s metadata, logger lines', async () => {
    const sends = traceRecorder<SendContext>(CHANNELS.send);
    const produces = traceRecorder<ProduceContext>(CHANNELS.produce);
    const opened = recorder<ConnectionEvent>(CHANNELS.connectionOpen);
    const closed = recorder<ConnectionEvent>(CHANNELS.connectionClose);
    const metadata = recorder<MetadataEvent>(CHANNELS.metadata);
    const { logger, calls } = fakeLogger();
    const before = Date.now();
    const producer = new KafkaProducer({ bootstrapServers: env.bootstrap, worker, logger });
    let callbackSaw: TraceEvent | undefined;
    const md = await producer.send({ topic, key: 'order-7', value: 'v' }, () => {
      callbackSaw = sends.at(-1)?.[0];
    });
    await producer.close();

    const mine = sends.filter(([, c]) => c.record.topic === topic);
    expect(mine.map(([e]) => e)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(callbackSaw).toBe('asyncStart');
    const ctx = mine[0]?.[1];
    expect(ctx?.record).toEqual({ topic, partition: undefined, key: 'order-7' });
    expect(ctx?.result).toEqual(md);
    expect(md.partition).toBe(partitionForKey(Buffer.from('order-7'), 3));
    expect(md.offset).toBeGreaterThanOrEqual(0);

    const request = produces.find(([e, c]) => e === 'asyncEnd' && c.partitions.some((p) => p.topic === topic))?.[1];
    expect(produces.filter(([, c]) => c === request).map(([e]) => e)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(request).toMatchObject({ host: '127.0.0.1', acks: -1, partitions: [{ topic, partition: md.partition, records: 1, errorCode: 0, baseOffset: md.offset }] });
    expect(request?.broker).toBe(`${request?.host}:${request?.port} (node ${request?.nodeId})`);
    expect(request?.apiVersion).toBeGreaterThanOrEqual(3);
    expect(request?.partitions[0]?.bytes).toBeGreaterThan(61);
    expect(request?.startTime).toBeGreaterThanOrEqual(before);
    expect(request?.endTime).toBeGreaterThanOrEqual(request?.startTime ?? Infinity);
    expect(request?.error).toBeUndefined();

    const leader = request?.nodeId;
    expect(opened).toContainEqual({ broker: env.bootstrap, host: '127.0.0.1', port: Number(env.bootstrap.split(':')[1]), nodeId: null, error: null });
    expect(opened).toContainEqual(expect.objectContaining({ broker: request?.broker, nodeId: leader, error: null }));
    // close() closes them: no error, the client did it.
    expect(closed).toContainEqual(expect.objectContaining({ broker: request?.broker, nodeId: leader, error: null }));

    const topicEvents = metadata.filter((m) => m.topic === topic);
    expect(topicEvents).toHaveLength(1);
    expect(topicEvents[0]).toMatchObject({ partitionCount: 3, previousPartitionCount: 0, errorCode: 0, error: null });
    expect(topicEvents[0]?.leaders.map((l) => [l.partition, l.previousLeader])).toEqual([
      [0, -1],
      [1, -1],
      [2, -1],
    ]);

    expect(calls).toContainEqual(['info', `Topic ${topic} has 3 partition(s) (before: 0)`, topicEvents[0]]);
    expect(calls).toContainEqual(['debug', `Connected to ${request?.broker}`, expect.objectContaining({ nodeId: leader })]);
    expect(calls.filter(([level]) => level === 'warn' || level === 'error')).toEqual([]);
  });

  it('a record that fails: error, asyncStart and asyncEnd carry the error', async () => {
    const sends = traceRecorder<SendContext>(CHANNELS.send);
    const producer = new KafkaProducer({ bootstrapServers: env.bootstrap, worker });
    try {
      const err = await producer.send({ topic, partition: 1, value: 'v', timestamp: -1 }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidRecordError);
      const mine = sends.filter(([, c]) => c.record.topic === topic);
      expect(mine.map(([e]) => e)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
      expect(mine[0]?.[1]).toEqual({ record: { topic, partition: 1, key: undefined }, error: err });
    } finally {
      await producer.close();
    }
  });

  it('a retry: the topic deleted under the producer answers UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const retries = recorder<RetryEvent>(CHANNELS.retry);
    const metadata = recorder<MetadataEvent>(CHANNELS.metadata);
    const { logger, calls } = fakeLogger();
    // maxBlockMs well under the test's timeout: a send that waits for the topic's metadata fails in time to say so.
    const producer = new KafkaProducer({ bootstrapServers: env.bootstrap, worker, logger, lingerMs: 0, requestTimeoutMs: 1000, deliveryTimeoutMs: 1500, retryBackoffMs: 100, maxBlockMs: 10_000 });
    const seen = (t: string) => JSON.stringify(metadata.filter((m) => m.topic === t).map((m) => [m.partitionCount, m.previousPartitionCount, m.errorCode]));
    try {
      // The Produce itself must find the topic gone, so the producer must still hold the topic's metadata when it
      // sends. A metadata refresh that lands between the deletion and the send tells the producer first, and the send
      // then waits for the topic to come back instead: set up again, on a new topic.
      let gone = '';
      for (let setup = 1; ; setup++) {
        gone = uniqueTopic(`diag-gone-${worker ? 'w' : 'm'}`);
        await createTopic(env.bootstrap, gone, 1);
        await producer.send({ topic: gone, value: 'before' });
        const topics = new Topics(env.bootstrap);
        await topics.delete(gone);
        // Deletion reaches the broker after the controller answers: send only once it no longer serves the topic.
        for (let i = 0; i < 100 && (await topics.exists(gone)); i++) await new Promise((r) => setTimeout(r, 100));
        await topics.close();
        if (!metadata.some((m) => m.topic === gone && m.partitionCount === 0)) break;
        if (setup === 3) throw new Error(`three times the producer learned of the deletion before it sent (metadata of the last topic: ${seen(gone)})`);
      }
      const err = await producer.send({ topic: gone, value: 'after' }).then(() => null, (e: unknown) => e);
      expect(err, String(err)).toBeInstanceOf(KafkaTimeoutError);
      expect((err as Error).cause, String(err)).toBeInstanceOf(KafkaResponseError);
      const mine = retries.filter((r) => r.topic === gone);
      expect(mine.length, `retry events for ${gone}, whose metadata read ${seen(gone)}`).toBeGreaterThanOrEqual(1);
      const first = mine[0] as RetryEvent;
      expect(first).toMatchObject({ partition: 0, attempt: 2, records: 1, errorCode: 3, broker: `127.0.0.1:${env.bootstrap.split(':')[1]} (node ${first.nodeId})` });
      expect(first.error).toBeInstanceOf(KafkaResponseError);
      expect(first.error).toMatchObject({ errorCode: 3, errorName: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
      expect(first.backoffMs).toBeGreaterThanOrEqual(0);
      expect(calls).toContainEqual(['warn', expect.stringMatching(new RegExp(`^Retrying 1 record\\(s\\) for ${gone}-0 \\(attempt 2\\) in \\d+ ms: Produce to ${gone}-0: UNKNOWN_TOPIC_OR_PARTITION`)), first]);
      // The refresh after the error finds the topic gone.
      expect(metadata.filter((m) => m.topic === gone).map((m) => [m.partitionCount, m.previousPartitionCount, m.errorCode])).toEqual([
        [1, 0, 0],
        [0, 1, 3],
      ]);
    } finally {
      await producer.close();
    }
  });

  it('a server that accepts and closes: connection:error names it, and the logger warns', async () => {
    const server = await closingServer();
    const failed = recorder<ConnectionEvent>(CHANNELS.connectionError);
    const { logger, calls } = fakeLogger();
    const producer = new KafkaProducer({ bootstrapServers: `127.0.0.1:${server.port}`, worker, logger, maxBlockMs: 500, retryBackoffMs: 50 });
    try {
      await expect(producer.send({ topic, value: 'v' })).rejects.toBeInstanceOf(KafkaTimeoutError);
      // On a busy machine maxBlockMs may pass before the sender's first attempt fails; the event follows.
      for (let i = 0; i < 200 && !failed.some((e) => e.port === server.port); i++) await new Promise((r) => setTimeout(r, 50));
      const mine = failed.filter((e) => e.port === server.port);
      expect(mine.length).toBeGreaterThanOrEqual(1);
      expect(mine[0]).toMatchObject({ broker: `127.0.0.1:${server.port}`, host: '127.0.0.1', nodeId: null });
      expect(mine[0]?.error).toBeInstanceOf(ConnectionClosedError);
      expect(mine[0]?.error).toMatchObject({ broker: `127.0.0.1:${server.port}`, message: expect.stringContaining('the broker closed the connection') });
      expect(calls).toContainEqual(['warn', `Could not connect to 127.0.0.1:${server.port}: ${mine[0]?.error?.message}`, mine[0]]);
    } finally {
      await producer.close({ timeoutMs: 0 });
      await server.close();
    }
  });

  it('nobody subscribed: nothing is published and no send is traced', async () => {
    const names = [
      ...[CHANNELS.send, CHANNELS.produce].flatMap((n) => TRACE_EVENTS.map((e) => `tracing:${n}:${e}`)),
      CHANNELS.retry,
      CHANNELS.metadata,
      CHANNELS.connectionOpen,
      CHANNELS.connectionClose,
      CHANNELS.connectionError,
      CHANNELS.callbackError,
    ];
    for (const n of names) expect(diagnostics_channel.hasSubscribers(n), n).toBe(false);
    const spies = names.map((n) => vi.spyOn(diagnostics_channel.channel(n), 'publish'));
    // The internal method through which a traced send hands its context to the SendResult.
    const attach = Object.getOwnPropertySymbols(SendResult.prototype).find((s) => s.description === 'kafka-producer-ts.attachTrace');
    expect(attach).toBeDefined();
    const attached = vi.spyOn(SendResult.prototype as unknown as Record<symbol, () => void>, attach as symbol);
    const producer = new KafkaProducer({ bootstrapServers: env.bootstrap, worker });
    try {
      const md = await producer.send({ topic, key: 'k', value: 'v' });
      expect(md.offset).toBeGreaterThanOrEqual(0);
      expect(attached).not.toHaveBeenCalled();
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
      // The spies do see a traced send (they stand in for publish, so the recorder itself gets nothing).
      traceRecorder<SendContext>(CHANNELS.send);
      await producer.send({ topic, key: 'k', value: 'v' });
      expect(attached).toHaveBeenCalledTimes(1);
      expect(names.filter((_, i) => spies[i]?.mock.calls.length === 1)).toEqual(TRACE_EVENTS.filter((e) => e !== 'error').map((e) => `tracing:${CHANNELS.send}:${e}`));
    } finally {
      await producer.close();
    }
  });
});

describe('a send callback that throws', () => {
  it('is reported and the process goes on: every record settles, the process exits 0', async () => {
    const topic = uniqueTopic('diag-callback');
    await createTopic(env.bootstrap, topic, 1);
    const script = fileURLToPath(new URL('../support/throwing-callback.mjs', import.meta.url));
    const child = spawn(process.execPath, [script, env.bootstrap, topic], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr).toBe(0);
    const runs = stdout.trim().split('\n').map((l) => JSON.parse(l) as { worker: boolean; withLogger: boolean; called: number[]; offsets: number[]; logged: { message: string; error: string }[] });
    expect(runs.map((r) => [r.worker, r.withLogger])).toEqual([
      [true, true],
      [false, true],
      [true, false],
    ]);
    let next = 0;
    for (const run of runs) {
      expect(run.called).toEqual([0, 1, 2, 3, 4, 5]);
      expect(run.offsets).toEqual([0, 1, 2, 3, 4, 5].map((i) => next + i));
      next += 6;
      expect(run.logged).toEqual(
        run.withLogger ? [0, 2, 4].map((i) => ({ message: `Error executing user-provided callback on message for topic-partition ${topic}-0`, error: `callback ${i} throws` })) : [],
      );
    }
    // Without a logger: one process warning, naming the first failure.
    expect(stderr.match(/Warning: Error executing user-provided callback/g)).toHaveLength(1);
  });
});
