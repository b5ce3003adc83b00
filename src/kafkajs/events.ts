// The producer's instrumentation events by kafkajs's names. CONNECT and
// DISCONNECT are emitted; the network events are accepted but never fire
// (the network runs on the producer's sender): subscribing to one warns,
// and points at the diagnostics channels that carry the same facts.

import { EventEmitter } from 'node:events';
import { KafkaJSNonRetriableError } from './errors.js';
import type { KafkaJSLogger } from './logger.js';

export const PRODUCER_EVENTS = {
  CONNECT: 'producer.connect',
  DISCONNECT: 'producer.disconnect',
  REQUEST: 'producer.network.request',
  REQUEST_TIMEOUT: 'producer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size',
} as const;

export type ProducerEvents = typeof PRODUCER_EVENTS;
export type ProducerEventName = ProducerEvents[keyof ProducerEvents];

export interface InstrumentationEvent<T> {
  id: number;
  type: string;
  timestamp: number;
  payload: T;
}

export type RemoveInstrumentationEventListener = () => void;

const NAMES: readonly string[] = Object.values(PRODUCER_EVENTS);
const EMITTED: readonly string[] = [PRODUCER_EVENTS.CONNECT, PRODUCER_EVENTS.DISCONNECT];
let nextId = 0;

export class ProducerInstrumentation {
  readonly #emitter = new EventEmitter();
  readonly #logger: KafkaJSLogger;

  constructor(logger: KafkaJSLogger) {
    this.#logger = logger;
  }

  on(eventName: ProducerEventName, listener: (event: InstrumentationEvent<unknown>) => unknown): RemoveInstrumentationEventListener {
    if (!NAMES.includes(eventName)) {
      throw new KafkaJSNonRetriableError(`Event name should be one of ${Object.keys(PRODUCER_EVENTS).map((k) => `producer.events.${k}`).join(', ')}`);
    }
    if (!EMITTED.includes(eventName)) {
      this.#logger.warn(
        `${eventName} is never emitted by kafka-producer-ts/kafkajs: its requests are made on the producer's sender; subscribe to the diagnostics channels 'kafka-producer-ts:produce' and 'kafka-producer-ts:retry' instead (CHANNELS in kafka-producer-ts)`,
        { eventName },
      );
    }
    // As kafkajs: a listener that throws or rejects is logged, never rethrown into the producer.
    const failed = (e: unknown): void => this.#logger.error(`Failed to execute listener: ${(e as Error)?.message}`, { eventName, stack: (e as Error)?.stack });
    const wrapped = (event: InstrumentationEvent<unknown>): void => {
      try {
        Promise.resolve(listener(event)).catch(failed);
      } catch (e) {
        failed(e);
      }
    };
    this.#emitter.on(eventName, wrapped);
    return () => {
      this.#emitter.off(eventName, wrapped);
    };
  }

  emit(eventName: ProducerEventName, payload: unknown = null): void {
    this.#emitter.emit(eventName, { id: nextId++, type: eventName, timestamp: Date.now(), payload });
  }
}
