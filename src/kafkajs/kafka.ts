// kafkajs's Kafka client object, producer side: it holds the config and the
// root logger and makes producers. consumer() and admin() are refused with
// a pointer to kafkajs, which can run beside the adapter.

import { KafkaJSNonRetriableError } from './errors.js';
import { createLogger, type KafkaJSLogger } from './logger.js';
import { checkKafkaConfig } from './options.js';
import { Producer } from './producer.js';
import type { KafkaConfig, ProducerConfig } from './types.js';

export class Kafka {
  readonly #config: KafkaConfig;
  readonly #logger: KafkaJSLogger;

  constructor(config: KafkaConfig) {
    this.#logger = createLogger(config?.logLevel, config?.logCreator);
    checkKafkaConfig(config, this.#logger);
    this.#config = { ...config };
  }

  producer(config: ProducerConfig = {}): Producer {
    return new Producer(this.#config, config, this.#logger);
  }

  consumer(): never {
    throw new KafkaJSNonRetriableError("kafka-producer-ts/kafkajs has kafkajs's producer only: make consumers with kafkajs itself (import { Kafka } from 'kafkajs'), beside this one");
  }

  admin(): never {
    throw new KafkaJSNonRetriableError("kafka-producer-ts/kafkajs has kafkajs's producer only: use kafkajs's admin (import { Kafka } from 'kafkajs'), beside this one");
  }

  logger(): KafkaJSLogger {
    return this.#logger;
  }
}
