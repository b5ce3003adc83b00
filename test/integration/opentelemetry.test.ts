// The OpenTelemetry example (examples/opentelemetry.ts) against the real
// broker, with the sender on a worker thread and on the main thread: a
// delivered record and a failed one each become a PRODUCER span with the
// messaging semantic conventions.

import { defaultTextMapGetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InvalidRecordError, KafkaProducer, partitionForKey } from 'kafka-producer-ts';
import { instrumentKafkaProducer, withTraceContext } from '../../examples/opentelemetry.js';
import { createTopic, kcatConsume, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');

describe.each([
  ['worker thread', true],
  ['main thread', false],
])('OpenTelemetry spans from the send channel, sender on the %s', (_name, worker) => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let topic: string;
  let producer: KafkaProducer;
  let stop: () => void;

  beforeAll(async () => {
    topic = uniqueTopic(`otel-${worker ? 'w' : 'm'}`);
    await createTopic(env.bootstrap, topic, 3);
    producer = new KafkaProducer({ bootstrapServers: env.bootstrap, worker });
    stop = instrumentKafkaProducer(provider);
  });

  afterAll(async () => {
    stop();
    await producer.close();
    await provider.shutdown();
  });

  it('a delivered record: `send <topic>`, PRODUCER, topic, partition, key and offset', async () => {
    exporter.reset();
    const md = await producer.send({ topic, key: 'order-1', value: 'created' });
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    const span = spans[0];
    expect(span?.name).toBe(`send ${topic}`);
    expect(span?.kind).toBe(SpanKind.PRODUCER);
    expect(span?.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': topic,
      'messaging.destination.partition.id': String(partitionForKey(Buffer.from('order-1'), 3)),
      'messaging.kafka.message.key': 'order-1',
      'messaging.kafka.offset': md.offset,
    });
    expect(md.offset).toBeGreaterThanOrEqual(0);
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    expect(span?.events).toEqual([]);
  });

  it('a failed record: error.type, status ERROR and the exception', async () => {
    exporter.reset();
    const err = await producer.send({ topic, partition: 1, key: Buffer.from('bytes'), value: 'v', timestamp: -1 }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidRecordError);
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    const span = spans[0];
    expect(span?.name).toBe(`send ${topic}`);
    expect(span?.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': topic,
      'messaging.destination.partition.id': '1',
      'error.type': 'InvalidRecordError',
    });
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    expect(span?.events.map((e) => [e.name, e.attributes?.['exception.type'], e.attributes?.['exception.message']])).toEqual([
      // recordException names the type by the error's code when it has one.
      ['exception', 'KPT_ERR_INVALID_RECORD', 'record timestamp must be milliseconds since the epoch (a non-negative integer), got -1'],
    ]);
  });

  it('withTraceContext: the create span\'s W3C traceparent rides in the record headers, and a consumer continues the trace from it', async () => {
    exporter.reset();
    const { record } = withTraceContext(provider, { topic, key: 'traced', value: 'v', headers: { source: 'web' } });
    const md = await producer.send(record);
    const create = exporter.getFinishedSpans().find((s) => s.name === `create ${topic}`);
    expect(create?.kind).toBe(SpanKind.PRODUCER);
    expect(create?.attributes['messaging.operation.type']).toBe('create');
    const { traceId, spanId } = create!.spanContext();
    // Read back from the broker as a consumer sees it: the headers in order, the trace's last.
    const read = (await kcatConsume(env.bootstrap, topic, md.partition)).find((m) => m.offset === md.offset);
    expect(read?.headers).toEqual(['source', 'web', 'traceparent', `00-${traceId}-${spanId}-01`]);
    const carrier = { traceparent: read?.headers?.[3] };
    const continued = trace.getSpanContext(new W3CTraceContextPropagator().extract(ROOT_CONTEXT, carrier, defaultTextMapGetter));
    expect(continued).toMatchObject({ traceId, spanId, isRemote: true });
  });
});
