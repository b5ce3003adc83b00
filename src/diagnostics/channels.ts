// The producer's diagnostics_channel names and what each publishes. Every
// message is published on the producer's (main) thread, also for what happens
// on the sender's worker thread. Callers check `active()`/`hasSubscribers`
// before building a message, so nobody listening costs nothing.

import diagnostics_channel, { type TracingChannel } from 'node:diagnostics_channel';
import type { RecordMetadata } from '../send-result.js';

/** The diagnostics_channel names the producer publishes on (subscribe with node:diagnostics_channel). */
export const CHANNELS = {
  /** Tracing channel: one trace per send() call. */
  send: 'kafka-producer-ts:send',
  /** Tracing channel: one trace per Produce request, published when its response (or failure) arrives. */
  produce: 'kafka-producer-ts:produce',
  /** A batch is retried (RetryEvent). */
  retry: 'kafka-producer-ts:retry',
  /** A topic's metadata changed (MetadataEvent). */
  metadata: 'kafka-producer-ts:metadata',
  /** A connection to a broker opened, closed or failed (ConnectionEvent). */
  connectionOpen: 'kafka-producer-ts:connection:open',
  connectionClose: 'kafka-producer-ts:connection:close',
  connectionError: 'kafka-producer-ts:connection:error',
  /** A send() callback threw (CallbackErrorEvent). */
  callbackError: 'kafka-producer-ts:callback-error',
} as const;

/** Context of a send() trace: start and end around send(); error, asyncStart and asyncEnd when the record settles. */
export interface SendContext {
  /** What send() was given (the key as passed, before its serializer). */
  record: { topic: string; partition: number | undefined; key: unknown };
  /** Set before asyncStart when the record was delivered. */
  result?: RecordMetadata;
  /** Set before error and asyncStart when the record failed. */
  error?: Error;
}

/** One partition's batch in a Produce request trace. */
export interface ProducePartition {
  topic: string;
  partition: number;
  records: number;
  /** The batch's bytes on the wire (after compression). */
  bytes: number;
  /** Kafka's error code for this partition (0: written); null when there is no answer (the request failed, or acks=0). */
  errorCode: number | null;
  /** -1 when unknown. */
  baseOffset: number;
}

/** Context of a Produce request trace; all its events are published together, when the response or failure arrives. */
export interface ProduceContext {
  /** host:port (node id), as errors name the broker. */
  broker: string;
  nodeId: number;
  host: string;
  port: number;
  apiVersion: number;
  acks: -1 | 0 | 1;
  /** Milliseconds since the epoch, fractional: when the request was written and when its answer came. */
  startTime: number;
  endTime: number;
  partitions: ProducePartition[];
  /** Set when the request failed as a whole (connection lost, timed out); partition errors are in `partitions`. */
  error?: Error;
}

/** Published on CHANNELS.retry when a batch is sent again. */
export interface RetryEvent {
  topic: string;
  partition: number;
  /** The attempt about to be made: 2 for the first retry. */
  attempt: number;
  records: number;
  backoffMs: number;
  /** The broker the failed attempt went to, and its node id (-1 when unknown). */
  broker: string;
  nodeId: number;
  /** Kafka's error code when the broker answered with one, else null (e.g. a ConnectionError). */
  errorCode: number | null;
  error: Error;
}

/** Published on CHANNELS.metadata when a topic's partitions or leaders change. */
export interface MetadataEvent {
  topic: string;
  partitionCount: number;
  /** 0 when the topic was not known before. */
  previousPartitionCount: number;
  /** Partitions whose leader changed (all of them for a topic seen for the first time). */
  leaders: { partition: number; leader: number; leaderEpoch: number; previousLeader: number }[];
  /** Kafka's error code for the topic (0 when fine; -1 when the cluster could not be asked). */
  errorCode: number;
  error: Error | null;
}

/** Published on the CHANNELS.connection* channels. */
export interface ConnectionEvent {
  broker: string;
  host: string;
  port: number;
  /** null for a bootstrap server. */
  nodeId: number | null;
  /** Why it failed or closed; null when the client closed it (connection:close only). */
  error: Error | null;
}

/** Published on CHANNELS.callbackError when a send() callback threw (the error is reported, never rethrown). */
export interface CallbackErrorEvent {
  topic: string;
  partition: number;
  /** What the send callback threw. */
  error: unknown;
}

export const sendChannel: TracingChannel<unknown, SendContext> = diagnostics_channel.tracingChannel(CHANNELS.send);
export const produceChannel: TracingChannel<unknown, ProduceContext> = diagnostics_channel.tracingChannel(CHANNELS.produce);
export const retryChannel = diagnostics_channel.channel(CHANNELS.retry);
export const metadataChannel = diagnostics_channel.channel(CHANNELS.metadata);
export const connectionOpenChannel = diagnostics_channel.channel(CHANNELS.connectionOpen);
export const connectionCloseChannel = diagnostics_channel.channel(CHANNELS.connectionClose);
export const connectionErrorChannel = diagnostics_channel.channel(CHANNELS.connectionError);
export const callbackErrorChannel = diagnostics_channel.channel(CHANNELS.callbackError);

/**
 * Whether any of a tracing channel's five channels has a subscriber
 * (TracingChannel.hasSubscribers itself needs Node 20.13).
 */
export function active(c: TracingChannel<unknown, object>): boolean {
  return c.start.hasSubscribers || c.end.hasSubscribers || c.asyncStart.hasSubscribers || c.asyncEnd.hasSubscribers || c.error.hasSubscribers;
}
