// Test helpers that listen to the producer's diagnostics: record what a
// channel or tracing channel publishes, and a logger that records its calls.
// Call stopRecording() after each test (subscriptions are process-wide).

import diagnostics_channel from 'node:diagnostics_channel';
import type { Logger } from '../../src/diagnostics/logger.js';

export const TRACE_EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const;
export type TraceEvent = (typeof TRACE_EVENTS)[number];

const subscriptions: (() => void)[] = [];

export function stopRecording(): void {
  for (const unsubscribe of subscriptions.splice(0)) unsubscribe();
}

/** Every event of a tracing channel, as [event, context]. */
export function traceRecorder<C extends object>(name: string): [TraceEvent, C][] {
  const seen: [TraceEvent, C][] = [];
  const handlers = Object.fromEntries(TRACE_EVENTS.map((e) => [e, (ctx: C) => seen.push([e, ctx])])) as unknown as diagnostics_channel.TracingChannelSubscribers<C>;
  const channel = diagnostics_channel.tracingChannel<unknown, C>(name);
  channel.subscribe(handlers);
  subscriptions.push(() => channel.unsubscribe(handlers));
  return seen;
}

/** Every message of a plain channel. */
export function recorder<M>(name: string): M[] {
  const seen: M[] = [];
  const onMessage = (m: unknown) => seen.push(m as M);
  diagnostics_channel.subscribe(name, onMessage);
  subscriptions.push(() => diagnostics_channel.unsubscribe(name, onMessage));
  return seen;
}

/** A logger that records [level, message, context]. */
export function fakeLogger(): { logger: Logger; calls: [keyof Logger, string, object][] } {
  const calls: [keyof Logger, string, object][] = [];
  const logger: Logger = {
    debug: (m, c) => calls.push(['debug', m, c]),
    info: (m, c) => calls.push(['info', m, c]),
    warn: (m, c) => calls.push(['warn', m, c]),
    error: (m, c) => calls.push(['error', m, c]),
  };
  return { logger, calls };
}
