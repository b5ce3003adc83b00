// What the package's two entry points export, as users import them (the
// built files, through vitest.config.ts's aliases): the producer API and its
// errors at the top, the wire protocol under /protocol, and nothing internal.

import { describe, expect, it } from 'vitest';
import * as api from 'kafka-producer-ts';
import * as protocol from 'kafka-producer-ts/protocol';

const ERRORS = [
  'ConfigError',
  'InvalidRecordError',
  'SerializationError',
  'KafkaTimeoutError',
  'BufferExhaustedError',
  'KafkaResponseError',
  'ProducerClosedError',
  'ProducerFatalError',
  'ProtocolError',
  'ConnectionError',
] as const;

describe("'kafka-producer-ts'", () => {
  it('exports the producer, its helpers and error classes that all extend KafkaClientError', () => {
    for (const name of ['KafkaProducer', 'SendResult', 'murmur2', 'partitionForKey', 'KafkaClientError', ...ERRORS]) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
    }
    for (const name of ERRORS) expect(api[name].prototype, name).toBeInstanceOf(api.KafkaClientError);
  });

  it('exports neither connections and metadata nor the wire protocol', () => {
    const internal = ['Connection', 'Cluster', 'MetadataCache', 'parseBootstrapServers', 'Produce', 'Reader', 'Writer', 'encodeRequest', 'buildRecordBatch'];
    expect(Object.keys(api).filter((name) => internal.includes(name))).toEqual([]);
  });
});

describe("'kafka-producer-ts/protocol'", () => {
  it('exports the API definitions, framing, record batches and codecs, and not the producer', () => {
    expect([protocol.ApiVersions.key, protocol.Metadata.key, protocol.Produce.key]).toEqual([18, 3, 0]);
    for (const name of ['encodeRequest', 'decodeResponse', 'Reader', 'Writer', 'buildRecordBatch', 'decodeRecordBatches', 'compress', 'errorInfo']) {
      expect(typeof (protocol as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(Object.keys(protocol)).not.toContain('KafkaProducer');
  });

  it('shares its error classes with the main entry', () => {
    expect(protocol.KafkaResponseError).toBe(api.KafkaResponseError);
  });
});
