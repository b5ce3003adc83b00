// Diagnostics without a broker: the logger option's checks, the send trace
// around a SendResult, and the per-producer reporter (what it publishes, what
// it logs at which level, what it tells the sender, and that it does nothing
// while nobody listens).

import diagnostics_channel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig, senderConfig } from '../../src/config.js';
import { CHANNELS, type MetadataEvent, type ProduceContext, type SendContext } from '../../src/diagnostics/channels.js';
import type { Logger } from '../../src/diagnostics/logger.js';
import { DiagnosticsReporter } from '../../src/diagnostics/reporter.js';
import { traceSend } from '../../src/diagnostics/send-trace.js';
import { ConfigError, ConnectionClosedError, KafkaResponseError, RequestTimeoutError } from '../../src/errors.js';
import type { ProducerRecord } from '../../src/record.js';
import { SendResult, type OutcomeSink, type SendCallback } from '../../src/send-result.js';
import type { ProduceFacts, ToSender, TopicMetadata } from '../../src/sender/messages.js';
import { serializeError } from '../../src/sender/wire-errors.js';
import { fakeLogger, recorder, stopRecording, traceRecorder } from '../support/diagnostics-recorders.js';

afterEach(() => {
  stopRecording();
  vi.restoreAllMocks();
});

function reporter(logger: Logger | null = null) {
  const posted: ToSender[] = [];
  return { reporter: new DiagnosticsReporter(logger, (m) => posted.push(m)), posted };
}

const sink: OutcomeSink = { succeeded: () => {}, failed: () => {}, callbackFailed: () => {} };

function topicMetadata(topic: string, leaders: number[], errorCode = 0): TopicMetadata {
  return {
    topic,
    partitionCount: errorCode === 0 ? leaders.length : 0,
    available: leaders.map((_, i) => i),
    partitions: leaders.map((leader, partition) => ({ partition, leader, leaderEpoch: 5, replicas: [leader], isr: [leader] })),
    errorCode,
    error: errorCode === 0 ? null : serializeError(new KafkaResponseError(errorCode, `Metadata for topic ${topic}`)),
  };
}

const facts: ProduceFacts = {
  broker: '10.0.0.1:9092 (node 1)',
  nodeId: 1,
  host: '10.0.0.1',
  port: 9092,
  apiVersion: 12,
  acks: -1,
  startTime: 1000.25,
  endTime: 1003.5,
  partitions: [{ topic: 't', partition: 2, records: 7, bytes: 300, errorCode: 0, baseOffset: 41 }],
  error: null,
};

describe('the logger option', () => {
  it('takes console, and stays out of the sender config', () => {
    const cfg = resolveConfig({ bootstrapServers: 'h:1', logger: console });
    expect(cfg.logger).toBe(console);
    expect('logger' in senderConfig(cfg)).toBe(false);
  });

  it.each([
    ['a string', 'console', /option logger: must be an object with debug, info, warn and error functions \(console fits\), got string/],
    ['null', null, /option logger: must be an object .* got null/],
    ['an object missing levels', { info: () => {}, debug: () => {} }, /option logger: must have debug, info, warn and error functions taking \(message, context\); warn, error are not a function/],
  ])('rejects %s with a ConfigError naming the option', (_what, logger, message) => {
    const err = (() => {
      try {
        resolveConfig({ bootstrapServers: 'h:1', logger: logger as unknown as Logger });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ option: 'logger', message: expect.stringMatching(message) });
  });
});

describe('the send trace', () => {
  it('start and end around send(); error, then asyncStart and asyncEnd around the callback when the record fails', () => {
    const seen = traceRecorder<SendContext>(CHANNELS.send);
    const order: string[] = [];
    const record = { topic: 't', key: 'k', value: 'v', partition: 3 };
    const fakeSend = function (this: { name: string }, r: ProducerRecord, cb: SendCallback): SendResult {
      order.push(`send ${this.name} ${r.topic}`);
      return new SendResult(r.topic, 0, sink, cb);
    };
    const result = traceSend({ name: 'p' }, fakeSend, record, () => {
      order.push(`callback, last event: ${seen.at(-1)?.[0]}`);
    });
    const ctx = seen[0]?.[1];
    expect(ctx).toEqual({ record: { topic: 't', partition: 3, key: 'k' } });
    expect(seen.map(([e]) => e)).toEqual(['start', 'end']);
    const failure = new RequestTimeoutError('h:1', 'Produce', 10);
    result.settle(failure, -1, -1);
    expect(seen.map(([e]) => e)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(seen.every(([, c]) => c === ctx)).toBe(true);
    expect(ctx?.error).toBe(failure);
    expect(ctx?.result).toBeUndefined();
    expect(order).toEqual(['send p t', 'callback, last event: asyncStart']);
  });

  it('a delivered record puts its metadata on the context', () => {
    const seen = traceRecorder<SendContext>(CHANNELS.send);
    const result = traceSend(null, (r) => new SendResult(r.topic, 1234, sink), { topic: 't', value: null }, undefined);
    result.partition = 1;
    result.settle(null, 99, -1);
    expect(seen.map(([e]) => e)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(seen[3]?.[1].result).toEqual({ topic: 't', partition: 1, offset: 99, timestamp: 1234 });
  });

  it('a throwing callback goes to the sink, and the trace still ends', () => {
    const seen = traceRecorder<SendContext>(CHANNELS.send);
    const thrown: unknown[] = [];
    const catching: OutcomeSink = { ...sink, callbackFailed: (t) => thrown.push(t) };
    const boom = new Error('boom');
    const result = traceSend(null, (r) => new SendResult(r.topic, 0, catching, () => {
      throw boom;
    }), { topic: 't', value: null }, undefined);
    expect(() => result.settle(null, 1, -1)).not.toThrow();
    expect(thrown).toEqual([boom]);
    expect(seen.map(([e]) => e)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
  });
});

describe('DiagnosticsReporter', () => {
  it('while nobody listens: tells the sender nothing, publishes nothing, logs nothing', () => {
    const publish = vi.spyOn(diagnostics_channel.channel(`tracing:${CHANNELS.produce}:start`), 'publish');
    const { reporter: r, posted } = reporter();
    r.outcomes([facts]);
    r.metadata(topicMetadata('t', [1, 1]));
    r.event({ kind: 'connection', type: 'open', broker: 'h:1', host: 'h', port: 1, nodeId: null, error: null });
    expect(posted).toEqual([]);
    expect(publish).not.toHaveBeenCalled();
  });

  it('tells the sender when Produce tracing is subscribed and unsubscribed, and publishes the requests it reports', () => {
    const { reporter: r, posted } = reporter();
    const seen = traceRecorder<ProduceContext>(CHANNELS.produce);
    r.outcomes(null);
    expect(posted).toEqual([{ t: 'trace-produce', on: true }]);
    r.outcomes([facts, { ...facts, error: serializeError(new ConnectionClosedError('10.0.0.1:9092 (node 1)', 'the broker closed the connection')) }]);
    expect(seen.map(([e]) => e)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd', 'start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    const [ok, failed] = [seen[0]?.[1], seen[4]?.[1]];
    expect(ok).toEqual({ ...facts, error: undefined });
    expect('error' in (ok as object)).toBe(false);
    expect(failed?.error).toBeInstanceOf(ConnectionClosedError);
    expect(failed?.error).toMatchObject({ broker: '10.0.0.1:9092 (node 1)' });
    stopRecording();
    r.outcomes(null);
    expect(posted).toEqual([
      { t: 'trace-produce', on: true },
      { t: 'trace-produce', on: false },
    ]);
  });

  it('reports what changed in a topic\'s metadata, once', () => {
    const { logger, calls } = fakeLogger();
    const { reporter: r } = reporter(logger);
    const seen = recorder<MetadataEvent>(CHANNELS.metadata);
    r.metadata(topicMetadata('t', [1, 1, 1]));
    r.metadata(topicMetadata('t', [1, 1, 1]));
    r.metadata(topicMetadata('t', [1, 2, 1]));
    const unreachable = { ...topicMetadata('t', []), errorCode: -1, error: serializeError(new RequestTimeoutError('h:1', 'Metadata', 10)) };
    r.metadata(unreachable);
    r.metadata(unreachable);
    r.metadata(topicMetadata('t', [1, 2, 1]));
    expect(seen).toEqual([
      {
        topic: 't',
        partitionCount: 3,
        previousPartitionCount: 0,
        leaders: [0, 1, 2].map((partition) => ({ partition, leader: 1, leaderEpoch: 5, previousLeader: -1 })),
        errorCode: 0,
        error: null,
      },
      { topic: 't', partitionCount: 3, previousPartitionCount: 3, leaders: [{ partition: 1, leader: 2, leaderEpoch: 5, previousLeader: 1 }], errorCode: 0, error: null },
      { topic: 't', partitionCount: 3, previousPartitionCount: 3, leaders: [], errorCode: -1, error: expect.any(RequestTimeoutError) },
      { topic: 't', partitionCount: 3, previousPartitionCount: 3, leaders: [], errorCode: 0, error: null },
    ]);
    expect(calls.map(([level, message]) => [level, message])).toEqual([
      ['info', 'Topic t has 3 partition(s) (before: 0)'],
      ['info', 'Topic t: new leader for partition(s) 1 (node 1 -> 2)'],
      ['warn', 'Metadata for topic t: Metadata got no response within 10 ms (requestTimeoutMs); the connection was closed [broker h:1]'],
      ['info', 'Metadata for topic t answers again, partitions and leaders as before'],
    ]);
  });

  it('a topic the broker does not know is a warning with its Kafka error name', () => {
    const { logger, calls } = fakeLogger();
    reporter(logger).reporter.metadata(topicMetadata('gone', [], 3));
    expect(calls).toEqual([['warn', 'Metadata for topic gone: UNKNOWN_TOPIC_OR_PARTITION', expect.objectContaining({ errorCode: 3, error: expect.any(KafkaResponseError) })]]);
  });

  it('retries and connection events: published with rebuilt errors, logged at warn (failures) or debug', () => {
    const { logger, calls } = fakeLogger();
    const { reporter: r } = reporter(logger);
    const retries = recorder(CHANNELS.retry);
    const opened = recorder(CHANNELS.connectionOpen);
    const closed = recorder(CHANNELS.connectionClose);
    const failed = recorder(CHANNELS.connectionError);
    const lost = new ConnectionClosedError('h:1 (node 1)', 'the broker closed the connection');
    r.event({ kind: 'retry', topic: 't', partition: 0, attempt: 2, records: 5, backoffMs: 80, broker: 'h:1 (node 1)', nodeId: 1, error: serializeError(new KafkaResponseError(6, 'Produce to t-0')) });
    r.event({ kind: 'connection', type: 'open', broker: 'h:1 (node 1)', host: 'h', port: 1, nodeId: 1, error: null });
    r.event({ kind: 'connection', type: 'close', broker: 'h:1 (node 1)', host: 'h', port: 1, nodeId: 1, error: serializeError(lost) });
    r.event({ kind: 'connection', type: 'close', broker: 'h:1 (node 1)', host: 'h', port: 1, nodeId: 1, error: null });
    r.event({ kind: 'connection', type: 'error', broker: 'h:2', host: 'h', port: 2, nodeId: null, error: serializeError(lost) });
    expect(retries).toEqual([
      { topic: 't', partition: 0, attempt: 2, records: 5, backoffMs: 80, broker: 'h:1 (node 1)', nodeId: 1, errorCode: 6, error: expect.any(KafkaResponseError) },
    ]);
    expect(opened).toEqual([{ broker: 'h:1 (node 1)', host: 'h', port: 1, nodeId: 1, error: null }]);
    expect(closed).toEqual([
      { broker: 'h:1 (node 1)', host: 'h', port: 1, nodeId: 1, error: expect.any(ConnectionClosedError) },
      { broker: 'h:1 (node 1)', host: 'h', port: 1, nodeId: 1, error: null },
    ]);
    expect(failed).toEqual([{ broker: 'h:2', host: 'h', port: 2, nodeId: null, error: expect.any(ConnectionClosedError) }]);
    expect(calls.map(([level, message]) => [level, message])).toEqual([
      ['warn', 'Retrying 5 record(s) for t-0 (attempt 2) in 80 ms: Produce to t-0: NOT_LEADER_OR_FOLLOWER (error code 6)'],
      ['debug', 'Connected to h:1 (node 1)'],
      ['warn', 'Lost the connection to h:1 (node 1): connection closed: the broker closed the connection [broker h:1 (node 1)]'],
      ['debug', 'Closed the connection to h:1 (node 1)'],
      ['warn', 'Could not connect to h:2: connection closed: the broker closed the connection [broker h:1 (node 1)]'],
    ]);
  });

  it('a throwing callback: logged at error and published; never rethrown', () => {
    const { logger, calls } = fakeLogger();
    const seen = recorder(CHANNELS.callbackError);
    const boom = new Error('boom');
    expect(() => reporter(logger).reporter.callbackFailed(boom, 't', 4)).not.toThrow();
    expect(seen).toEqual([{ topic: 't', partition: 4, error: boom }]);
    expect(calls).toEqual([['error', 'Error executing user-provided callback on message for topic-partition t-4', { topic: 't', partition: 4, error: boom }]]);
  });

  it('a throwing callback with neither logger nor subscriber: one process warning per producer', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { reporter: r } = reporter();
    r.callbackFailed(new Error('first'), 't', 0);
    r.callbackFailed(new Error('second'), 't', 1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toMatch(/^Error executing user-provided callback on message for topic-partition t-0 \(set the logger option, or subscribe to kafka-producer-ts:callback-error/);
    expect(warn.mock.calls[0]?.[1]).toMatchObject({ code: 'KPT_WARN_CALLBACK_ERROR', detail: expect.stringContaining('Error: first') });
  });

  it('a logger that throws does not stop the reporter', () => {
    const throwing: Logger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: () => {
        throw new Error('logger down');
      },
    };
    const seen = recorder(CHANNELS.callbackError);
    expect(() => reporter(throwing).reporter.callbackFailed(new Error('boom'), 't', 0)).not.toThrow();
    expect(seen).toHaveLength(1);
  });
});
