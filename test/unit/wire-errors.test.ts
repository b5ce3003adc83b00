// Errors crossing between the sender and the producer (as postMessage
// carries them: structured clone) come back as the same class with the same
// fields, message, stack and cause chain; and every error class the package
// exports is in the table that rebuilds them.

import { describe, expect, it } from 'vitest';
import * as errors from '../../src/errors.js';
import * as index from '../../src/index.js';
import { BootstrapError } from '../../src/network/cluster.js';
import { deserializeError, ERROR_CLASSES, serializeError } from '../../src/sender/wire-errors.js';

/** Through the wire format and a structured clone, as between the threads. */
function roundTrip(err: unknown): Error {
  return deserializeError(structuredClone(serializeError(err)));
}

function isErrorClass(v: unknown): v is new (...args: never[]) => Error {
  return typeof v === 'function' && (v === Error || v.prototype instanceof Error);
}

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { errno: -111, code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 1 });

/** One instance of each class in ERROR_CLASSES, with a cause wherever the class takes one. */
const SAMPLES: Record<string, Error> = {
  KafkaClientError: new errors.KafkaClientError('KPT_ERR_CLOSED', 'the client is closed'),
  ProtocolError: new errors.ProtocolError('response of 2 bytes has no correlation id', { cause: new RangeError('out of range') }),
  MalformedResponseError: new errors.MalformedResponseError('Produce', 9, 17, new errors.ProtocolError('truncated data'), '10.0.0.1:9092 (node 1)'),
  ResponseSizeError: new errors.ResponseSizeError(2147483647, 104857600),
  KafkaResponseError: new errors.KafkaResponseError(6, 'Produce to t-0', 'not the leader'),
  ConnectionError: new errors.ConnectionError('KPT_ERR_CONNECTION_CLOSED', '10.0.0.1:9092 (node 3)', 'something', false, new Error('plain')),
  ConnectionRefusedError: new errors.ConnectionRefusedError('127.0.0.1:1', refused),
  ConnectTimeoutError: new errors.ConnectTimeoutError('10.0.0.1:9092', 500),
  RequestTimeoutError: new errors.RequestTimeoutError('10.0.0.1:9092 (node 1)', 'Produce v12 (correlation id 4)', 300),
  ConnectionClosedError: new errors.ConnectionClosedError('10.0.0.1:9092 (node 1)', 'the broker closed the connection', new TypeError('t')),
  UnsupportedVersionError: new errors.UnsupportedVersionError('10.0.0.1:9092', 'the broker does not support Produce'),
  AuthenticationError: new errors.AuthenticationError('10.0.0.1:9093', 'SCRAM-SHA-256', 'SASL SCRAM-SHA-256 authentication failed: invalid credentials', new errors.KafkaResponseError(58, 'SaslAuthenticate')),
  BootstrapError: new BootstrapError('no bootstrap server answered: ...', new errors.ConnectionRefusedError('127.0.0.1:1', refused)),
  ConfigError: new errors.ConfigError('lingerMs', 'must be an integer, got "5"'),
  InvalidRecordError: new errors.InvalidRecordError('record topic must be a non-empty string'),
  SerializationError: new errors.SerializationError('the valueSerializer threw', 'a thrown string'),
  KafkaTimeoutError: new errors.KafkaTimeoutError('Expiring 1 record(s) ...', new errors.RequestTimeoutError('h:1 (node 1)', 'Produce', 30)),
  BufferExhaustedError: new errors.BufferExhaustedError('Failed to allocate 100 bytes'),
  ProducerClosedError: new errors.ProducerClosedError('send() after close()'),
  ProducerFatalError: new errors.ProducerFatalError('the producer must be closed', new errors.KafkaResponseError(90, 'Produce to t-0')),
  TransactionStateError: new errors.TransactionStateError('beginTransaction() is not allowed while the transactional producer is in a transaction'),
  TransactionAbortableError: new errors.TransactionAbortableError('a record of the transaction failed', new errors.KafkaResponseError(29, 'Produce to t-0')),
  TransactionAbortedError: new errors.TransactionAbortedError('the transaction was aborted before the record was sent'),
  TransactionFatalError: new errors.TransactionFatalError('InitProducerId: the producer cannot go on', new errors.KafkaResponseError(53, 'InitProducerId')),
  ProducerFencedError: new errors.ProducerFencedError('EndTxn(commit): fenced', new errors.KafkaResponseError(90, 'EndTxn(commit)')),
  Error: new Error('plain', { cause: null }),
  TypeError: new TypeError('type'),
  RangeError: new RangeError('range'),
  SyntaxError: new SyntaxError('syntax'),
  ReferenceError: new ReferenceError('reference'),
  EvalError: new EvalError('eval'),
  URIError: new URIError('uri'),
};

/** Everything a user can compare: class, message, stack, own fields, and the same for the cause chain. */
function expectSame(copy: unknown, original: unknown): void {
  if (!(original instanceof Error)) {
    expect(copy).toStrictEqual(original);
    return;
  }
  expect(copy).toBeInstanceOf(Error);
  const c = copy as Error;
  expect(Object.getPrototypeOf(c)).toBe(Object.getPrototypeOf(original));
  expect(c.name).toBe(original.name);
  expect(c.message).toBe(original.message);
  expect(c.stack).toBe(original.stack);
  expect({ ...c }).toStrictEqual({ ...original });
  expect('cause' in c).toBe('cause' in original);
  if ('cause' in original) expectSame(c.cause, original.cause);
}

describe('errors across the sender boundary', () => {
  it('every error class the package exports is in ERROR_CLASSES under its name', () => {
    const values: unknown[] = [...Object.values(index), ...Object.values(errors)];
    const exported = values.filter(isErrorClass);
    expect(exported.length).toBeGreaterThanOrEqual(17);
    for (const cls of exported) expect(ERROR_CLASSES[cls.name], cls.name).toBe(cls);
  });

  it('every class in ERROR_CLASSES has a sample here', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(ERROR_CLASSES).sort());
  });

  it.each(Object.entries(SAMPLES))('%s comes back as the same class with the same fields and cause chain', (name, original) => {
    expect(original.name).toBe(name);
    expectSame(roundTrip(original), original);
  });

  it('keeps the fields users branch on', () => {
    const response = roundTrip(SAMPLES.KafkaResponseError) as errors.KafkaResponseError;
    expect(response).toBeInstanceOf(errors.KafkaResponseError);
    expect(response).toMatchObject({ code: 'KPT_ERR_KAFKA', errorCode: 6, errorName: 'NOT_LEADER_OR_FOLLOWER', retriable: true, action: 'refresh-metadata' });
    const closed = roundTrip(SAMPLES.ConnectionClosedError) as errors.ConnectionClosedError;
    expect(closed).toBeInstanceOf(errors.ConnectionError);
    expect(closed).toMatchObject({ code: 'KPT_ERR_CONNECTION_CLOSED', broker: '10.0.0.1:9092 (node 1)', retriable: true });
    expect(closed.cause).toBeInstanceOf(TypeError);
    const fenced = roundTrip(SAMPLES.ProducerFencedError);
    expect(fenced).toBeInstanceOf(errors.ProducerFencedError);
    expect(fenced).toBeInstanceOf(errors.TransactionFatalError);
    expect(fenced).toBeInstanceOf(errors.ProducerFatalError);
    expect(fenced.cause).toMatchObject({ errorCode: 90, errorName: 'PRODUCER_FENCED' });
    expect(roundTrip(SAMPLES.TransactionAbortableError)).not.toBeInstanceOf(errors.ProducerFatalError);
    const config = roundTrip(SAMPLES.ConfigError) as errors.ConfigError;
    expect(config).toMatchObject({ code: 'KPT_ERR_CONFIG', option: 'lingerMs' });
    const boot = roundTrip(SAMPLES.BootstrapError);
    const cause = boot.cause as errors.ConnectionRefusedError;
    expect(cause).toBeInstanceOf(errors.ConnectionRefusedError);
    expect(cause.broker).toBe('127.0.0.1:1');
    expect(cause.cause).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'connect', port: 1 });
  });

  it('a class it does not know comes back as an Error with the same name, fields and message', () => {
    class CustomError extends Error {
      readonly detail = 'x';
    }
    const original = new CustomError('custom');
    original.name = 'CustomError';
    const copy = roundTrip(original);
    expect(Object.getPrototypeOf(copy)).toBe(Error.prototype);
    expect(copy).toMatchObject({ name: 'CustomError', message: 'custom', detail: 'x' });
  });

  it('a value that is not an Error becomes an Error with its text', () => {
    expect(roundTrip('oops')).toMatchObject({ name: 'Error', message: 'oops' });
  });

  it('a cycle in the cause chain is cut, not followed forever', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    let depth = 0;
    for (let e: unknown = roundTrip(a); e instanceof Error; e = e.cause) depth++;
    expect(depth).toBe(9);
  });
});
