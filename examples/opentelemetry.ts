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

import diagnostics_channel from 'node:diagnostics_channel';
import { SpanKind, SpanStatusCode, type Attributes, type Span, type TracerProvider } from '@opentelemetry/api';
import { CHANNELS, type SendContext } from 'kafka-producer-ts';

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
