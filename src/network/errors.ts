// Connection-level failures. Each names the broker it happened with and says
// whether sending again (on a new connection) may succeed.

import { type ErrorCode, KafkaClientError, ProtocolError } from '../protocol/errors.js';

/** `retriable`: whether the same request may succeed on a new connection. */
export class ConnectionError extends KafkaClientError {
  readonly broker: string;

  constructor(code: ErrorCode, broker: string, message: string, retriable: boolean, cause?: unknown) {
    super(code, `${message} [broker ${broker}]`, { cause, retriable });
    this.broker = broker;
  }
}

export class ConnectionRefusedError extends ConnectionError {
  constructor(broker: string, cause?: unknown) {
    super('KPT_ERR_CONNECTION_REFUSED', broker, 'connection refused: is the broker running and is the address right?', true, cause);
  }
}

export class ConnectTimeoutError extends ConnectionError {
  constructor(broker: string, timeoutMs: number) {
    super('KPT_ERR_CONNECT_TIMEOUT', broker, `no connection within ${timeoutMs} ms`, true);
  }
}

export class RequestTimeoutError extends ConnectionError {
  constructor(broker: string, what: string, timeoutMs: number) {
    super(
      'KPT_ERR_REQUEST_TIMEOUT',
      broker,
      `${what} got no response within ${timeoutMs} ms (requestTimeoutMs); the connection was closed`,
      true,
    );
  }
}

export class ConnectionClosedError extends ConnectionError {
  constructor(broker: string, reason: string, cause?: unknown) {
    super('KPT_ERR_CONNECTION_CLOSED', broker, `connection closed: ${reason}`, true, cause);
  }
}

export class UnsupportedVersionError extends ConnectionError {
  constructor(broker: string, message: string) {
    super('KPT_ERR_UNSUPPORTED_VERSION', broker, message, false);
  }
}

/**
 * The broker refused our SASL credentials, or TLS failed: the broker's
 * certificate could not be verified (untrusted, expired, or for another host
 * name), or the broker refused ours. Not retriable: the same credentials
 * fail the same way, so the producer stops (it is fatal to it) instead of
 * reconnecting in a loop. The message never holds a password or token.
 */
export class AuthenticationError extends ConnectionError {
  /** The SASL mechanism ('PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'), or 'TLS'. */
  readonly mechanism: string;

  constructor(broker: string, mechanism: string, message: string, cause?: unknown) {
    super('KPT_ERR_AUTHENTICATION', broker, message, false, cause);
    this.mechanism = mechanism;
  }
}

/** No bootstrap server could be reached or read (the cause says why). */
export class BootstrapError extends KafkaClientError {
  constructor(message: string, cause?: unknown) {
    // The cluster may be reachable later (a broker starting, a network back).
    super('KPT_ERR_BOOTSTRAP', message, { cause, retriable: true });
  }
}

/**
 * A response's size prefix that cannot be right: negative, or above
 * maxResponseSize. It is refused as soon as its 4 bytes arrive, before any
 * memory is set aside for the frame; it is the cause of the
 * ConnectionClosedError (naming the broker) that closes the connection.
 */
export class ResponseSizeError extends ProtocolError {
  readonly size: number;
  readonly maxResponseSize: number;

  constructor(size: number, maxResponseSize: number) {
    super(
      size < 0
        ? `response size prefix ${size} is negative`
        : `response of ${size} bytes is larger than maxResponseSize (${maxResponseSize}): the stream is corrupt, or raise maxResponseSize`,
    );
    this.size = size;
    this.maxResponseSize = maxResponseSize;
  }
}
