// The send() trace on the `kafka-producer-ts:send` tracing channel. send()
// asks sendTraced() (a few property reads) and only then allocates a context,
// which its SendResult keeps (via ATTACH_TRACE) until it settles. send() never
// settles a record before it returns (failures settle in a microtask), so the
// context is attached before any asyncStart can be due.

import type { ProducerRecord } from '../record.js';
import type { RecordMetadata, SendResult } from '../send-result.js';
import { active, sendChannel, type SendContext } from './channels.js';

/** The SendResult method that takes its trace context; not part of the public API. */
export const ATTACH_TRACE: unique symbol = Symbol('kafka-producer-ts.attachTrace');

export function sendTraced(): boolean {
  return active(sendChannel);
}

/** Runs send() between the start and end events and hands the context to its result. */
export function traceSend<P, R extends ProducerRecord<unknown, unknown>, C>(
  producer: P,
  send: (this: P, record: R, callback: C) => SendResult,
  record: R,
  callback: C,
): SendResult {
  const ctx: SendContext = { record: { topic: record?.topic, partition: record?.partition ?? undefined, key: record?.key } };
  sendChannel.start.publish(ctx);
  try {
    const result = send.call(producer, record, callback);
    result[ATTACH_TRACE](ctx);
    return result;
  } finally {
    sendChannel.end.publish(ctx);
  }
}

/**
 * The record settled: error (on failure), then asyncStart and asyncEnd around
 * the user's callback, which runs inside asyncStart's bound stores as with
 * TracingChannel.traceCallback.
 */
export function traceSettled(ctx: SendContext, error: Error | null, metadata: RecordMetadata | null, runCallback: (() => void) | null, thisArg: SendResult): void {
  if (error) {
    ctx.error = error;
    sendChannel.error.publish(ctx);
  } else if (metadata) {
    ctx.result = metadata;
  }
  try {
    if (runCallback) sendChannel.asyncStart.runStores(ctx, runCallback, thisArg);
    else sendChannel.asyncStart.publish(ctx);
  } finally {
    sendChannel.asyncEnd.publish(ctx);
  }
}
