// OpenTelemetry spans for kafka-producer-ts, built from its
// `kafka-producer-ts:send` tracing channel: one PRODUCER span per send(),
// named `send <topic>`, with the messaging semantic conventions. It needs no
// hook in the producer; any TracerProvider will do:
//
//   const stop = instrumentKafkaProducer(provider);
//   // ... produce ...
//   stop();
//
// A span starts when send() is called and ends when the record settles, so it
// covers the wait for metadata or memory, the batch's linger and the round trip
// to the broker. Its parent is the context active at send().
//
// So that a consumer can continue the trace, withTraceContext(record) makes
// the record's "create" span (the messaging conventions' creation context) and
// writes its W3C trace context into the record's headers (`traceparent`, and
// `tracestate` when there is one); send() under that context makes the send
// span its child:
//
//   const { record, context: created } = withTraceContext(provider, { topic, value });
//   await context.with(created, () => producer.send(record));
//
// A consumer extracts it with propagation.extract(ROOT_CONTEXT, headers) (or
// W3CTraceContextPropagator) and starts its process span under it.

import diagnostics_channel from 'node:diagnostics_channel';
import { context, defaultTextMapSetter, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type TracerProvider } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { CHANNELS, type HeaderValue, type ProducerRecord, type SendContext } from 'kafka-producer-ts';

const w3c = new W3CTraceContextPropagator();

/**
 * The record with its "create" span's W3C trace context in its headers, and
 * the context to send it under. Headers given as a list keep their order;
 * the trace headers replace any of the same name.
 */
export function withTraceContext<K, V>(tracerProvider: TracerProvider, record: ProducerRecord<K, V>): { record: ProducerRecord<K, V>; context: Context } {
  const tracer = tracerProvider.getTracer('kafka-producer-ts');
  const span = tracer.startSpan(`create ${record.topic}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'create',
      'messaging.operation.name': 'create',
      'messaging.destination.name': record.topic,
    },
  });
  const created = trace.setSpan(context.active(), span);
  const carrier: Record<string, string> = {};
  w3c.inject(created, carrier, defaultTextMapSetter);
  span.end();
  const given = record.headers;
  const list: { key: string; value: HeaderValue }[] = Array.isArray(given)
    ? [...(given as readonly { key: string; value: HeaderValue }[])]
    : Object.entries((given ?? {}) as Record<string, HeaderValue>).map(([key, value]) => ({ key, value }));
  const headers = [...list.filter((h) => !(h.key in carrier)), ...Object.entries(carrier).map(([key, value]) => ({ key, value }))];
  return { record: { ...record, headers }, context: created };
}

/** Subscribes to the send channel; returns the function that unsubscribes. */
export function instrumentKafkaProducer(tracerProvider: TracerProvider): () => void {
  const tracer = tracerProvider.getTracer('kafka-producer-ts');
  const spans = new WeakMap<SendContext, Span>();
  const channel = diagnostics_channel.tracingChannel<unknown, SendContext>(CHANNELS.send);
  const handlers: diagnostics_channel.TracingChannelSubscribers<SendContext> = {
    start(ctx: SendContext): void {
      const { topic, partition, key } = ctx.record;
      const attributes: Attributes = {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.destination.name': topic,
      };
      if (partition !== undefined) attributes['messaging.destination.partition.id'] = String(partition);
      // Only a string key is safe to record as it is; bytes could be anything.
      if (typeof key === 'string') attributes['messaging.kafka.message.key'] = key;
      spans.set(ctx, tracer.startSpan(`send ${topic}`, { kind: SpanKind.PRODUCER, attributes }));
    },
    asyncEnd(ctx: SendContext): void {
      const span = spans.get(ctx);
      if (!span) return;
      spans.delete(ctx);
      if (ctx.result) {
        span.setAttribute('messaging.destination.partition.id', String(ctx.result.partition));
        if (ctx.result.offset >= 0) span.setAttribute('messaging.kafka.offset', ctx.result.offset);
      }
      if (ctx.error) {
        // The class name (InvalidRecordError, KafkaTimeoutError, ...): a low-cardinality error type.
        span.setAttribute('error.type', ctx.error.name);
        span.recordException(ctx.error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: ctx.error.message });
      }
      span.end();
    },
    // The span is whole at asyncEnd; these have nothing to add.
    end: () => {},
    asyncStart: () => {},
    error: () => {},
  };
  channel.subscribe(handlers);
  return () => {
    channel.unsubscribe(handlers);
  };
}
