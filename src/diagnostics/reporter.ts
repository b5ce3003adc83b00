// One per producer, on its thread: turns what the sender reports (connection
// events, retries, traced Produce requests), metadata updates and throwing
// send callbacks into diagnostics_channel messages and logger calls. Nothing
// is built unless a channel has subscribers or a logger is set; a throwing
// logger is ignored, so diagnostics can never break delivery.

import { KafkaResponseError } from '../errors.js';
import type { ProduceFacts, SenderEvent, ToSender, TopicMetadata } from '../sender/messages.js';
import { deserializeError } from '../sender/wire-errors.js';
import {
  active,
  callbackErrorChannel,
  connectionCloseChannel,
  connectionErrorChannel,
  connectionOpenChannel,
  metadataChannel,
  produceChannel,
  retryChannel,
  type CallbackErrorEvent,
  type ConnectionEvent,
  type MetadataEvent,
  type ProduceContext,
  type RetryEvent,
} from './channels.js';
import type { Logger, LogLevel } from './logger.js';

/** What a topic's last metadata said, to tell what changed. */
interface KnownTopic {
  partitionCount: number;
  /** Leader node id by partition. */
  leaders: number[];
  errorCode: number;
}

export class DiagnosticsReporter {
  readonly #logger: Logger | null;
  readonly #post: (m: ToSender) => void;
  readonly #topics = new Map<string, KnownTopic>();
  #traceProduce = false;
  #warnedCallback = false;

  /** `post` reaches the sender (whose first message, init, must have gone already). */
  constructor(logger: Logger | null, post: (m: ToSender) => void) {
    this.#logger = logger;
    this.#post = post;
    this.#syncProduceTracing();
  }

  /**
   * With each outcomes message, before its records settle: publishes the
   * requests it reports, and tells the sender when Produce tracing was
   * subscribed or unsubscribed since (a subscriber arriving late sees the
   * requests after the next response).
   */
  outcomes(requests: ProduceFacts[] | null): void {
    if (requests && active(produceChannel)) for (const facts of requests) publishProduce(facts);
    this.#syncProduceTracing();
  }

  #syncProduceTracing(): void {
    const on = active(produceChannel);
    if (on === this.#traceProduce) return;
    this.#traceProduce = on;
    this.#post({ t: 'trace-produce', on });
  }

  event(e: SenderEvent): void {
    if (e.kind === 'retry') this.#retry(e);
    else this.#connection(e);
  }

  #retry(e: Extract<SenderEvent, { kind: 'retry' }>): void {
    if (!retryChannel.hasSubscribers && !this.#logger) return;
    const error = deserializeError(e.error);
    const { kind: _kind, error: _serialized, ...where } = e;
    const event: RetryEvent = { ...where, errorCode: error instanceof KafkaResponseError ? error.errorCode : null, error };
    if (retryChannel.hasSubscribers) retryChannel.publish(event);
    this.#log('warn', `Retrying ${e.records} record(s) for ${e.topic}-${e.partition} (attempt ${e.attempt}) in ${e.backoffMs} ms: ${error.message}`, event);
  }

  #connection(e: Extract<SenderEvent, { kind: 'connection' }>): void {
    const channel = e.type === 'open' ? connectionOpenChannel : e.type === 'close' ? connectionCloseChannel : connectionErrorChannel;
    if (!channel.hasSubscribers && !this.#logger) return;
    const event: ConnectionEvent = { broker: e.broker, host: e.host, port: e.port, nodeId: e.nodeId, error: e.error ? deserializeError(e.error) : null };
    if (channel.hasSubscribers) channel.publish(event);
    const error = event.error;
    if (e.type === 'open') this.#log('debug', `Connected to ${e.broker}`, event);
    else if (!error) this.#log('debug', `Closed the connection to ${e.broker}`, event);
    else this.#log('warn', `${e.type === 'close' ? 'Lost the connection' : 'Could not connect'} to ${e.broker}: ${error.message}`, event);
  }

  /** Every metadata update the sender sends; reports the topics whose partition count, leaders or error changed. */
  metadata(m: TopicMetadata): void {
    const known = this.#topics.get(m.topic);
    // -1: the cluster could not be asked; that says nothing about partitions or leaders.
    const unreachable = m.errorCode === -1;
    const now: KnownTopic = unreachable
      ? { partitionCount: known?.partitionCount ?? 0, leaders: known?.leaders ?? [], errorCode: -1 }
      : { partitionCount: m.partitionCount, leaders: m.partitions.map((p) => p.leader), errorCode: m.errorCode };
    this.#topics.set(m.topic, now);
    const leaders: MetadataEvent['leaders'] = [];
    if (!unreachable) {
      for (const p of m.partitions) {
        const previousLeader = known?.leaders[p.partition] ?? -1;
        if (p.leader !== previousLeader) leaders.push({ partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, previousLeader });
      }
    }
    const previousPartitionCount = known?.partitionCount ?? 0;
    const changed = now.partitionCount !== previousPartitionCount || leaders.length > 0 || now.errorCode !== (known?.errorCode ?? 0);
    if (!changed || (!metadataChannel.hasSubscribers && !this.#logger)) return;
    const error = m.error ? deserializeError(m.error) : null;
    const event: MetadataEvent = { topic: m.topic, partitionCount: now.partitionCount, previousPartitionCount, leaders, errorCode: m.errorCode, error };
    if (metadataChannel.hasSubscribers) metadataChannel.publish(event);
    if (error) this.#log('warn', `Metadata for topic ${m.topic}: ${error instanceof KafkaResponseError ? error.errorName : error.message}`, event);
    else if (now.partitionCount !== previousPartitionCount) this.#log('info', `Topic ${m.topic} has ${now.partitionCount} partition(s) (before: ${previousPartitionCount})`, event);
    else if (leaders.length > 0) this.#log('info', `Topic ${m.topic}: new leader for partition(s) ${leaders.map((l) => `${l.partition} (node ${l.previousLeader} -> ${l.leader})`).join(', ')}`, event);
    else this.#log('info', `Metadata for topic ${m.topic} answers again, partitions and leaders as before`, event);
  }

  /**
   * A send callback threw. Reported like Java's "Error executing
   * user-provided callback", never rethrown and never an 'error' event (an
   * unhandled one would end the process). With neither a logger nor a
   * subscriber, a process warning says so once.
   */
  callbackFailed(thrown: unknown, topic: string, partition: number): void {
    const event: CallbackErrorEvent = { topic, partition, error: thrown };
    const subscribed = callbackErrorChannel.hasSubscribers;
    if (subscribed) callbackErrorChannel.publish(event);
    const message = `Error executing user-provided callback on message for topic-partition ${topic}-${partition}`;
    if (this.#logger) this.#log('error', message, event);
    else if (!subscribed && !this.#warnedCallback) {
      this.#warnedCallback = true;
      const detail = thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown);
      process.emitWarning(`${message} (set the logger option, or subscribe to ${callbackErrorChannel.name as string}, to see every one)`, {
        code: 'KPT_WARN_CALLBACK_ERROR',
        detail,
      });
    }
  }

  #log(level: LogLevel, message: string, context: object): void {
    if (!this.#logger) return;
    try {
      this.#logger[level](message, context);
    } catch {
      // A logger that throws must not break delivery; there is nowhere better to report it.
    }
  }
}

/** A request's trace, published at once: the sender reports it after the fact. */
function publishProduce(facts: ProduceFacts): void {
  const { error, ...rest } = facts;
  const ctx: ProduceContext = rest;
  if (error) ctx.error = deserializeError(error);
  produceChannel.start.publish(ctx);
  produceChannel.end.publish(ctx);
  if (ctx.error) produceChannel.error.publish(ctx);
  produceChannel.asyncStart.publish(ctx);
  produceChannel.asyncEnd.publish(ctx);
}
