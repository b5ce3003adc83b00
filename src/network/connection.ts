// One TCP connection to one broker: size-prefixed framing, correlation ids,
// many requests pipelined, a per-request deadline, and ApiVersions
// negotiation before anything else. Responses come back in request order, so
// the pending queue is FIFO; a response whose correlation id is not the
// oldest pending one means the stream is broken and the connection is closed.
// A request that times out also closes the connection: the responses behind
// it could no longer be trusted to line up. A request that gets no response
// (Produce with acks=0) has a deadline too: written within requestTimeoutMs,
// or the connection closes (a broker that stopped reading). Either way the
// caller hears once the socket no longer holds its bytes: they are the
// caller's (a producer's batch in shared memory, reused once freed), and
// after destroy() the socket writes none of them any more. So does any response that breaks
// the framing or does not decode; a size prefix above maxResponseSize is
// refused as soon as it arrives, before the frame is waited for or copied.
//
// With `tls` the socket is TLS; with `sasl` the connection authenticates
// after ApiVersions, before it is handed out. When the broker gave the
// session a lifetime (KIP-368), the first request after 85-95% of it (the
// Java client's window) starts a re-authentication: the SASL requests queue
// behind those in flight, whose responses still arrive in order, and
// requests made meanwhile are held, then written once it succeeds.

import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { decodeResponse, encodeRequest, responseCorrelationId, type Api } from '../protocol/api.js';
import { ApiVersions, type ApiVersionsResponse } from '../protocol/apis/api-versions.js';
import { KafkaResponseError, MalformedResponseError, ProtocolError } from '../protocol/errors.js';
import {
  AuthenticationError,
  ConnectionClosedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectTimeoutError,
  RequestTimeoutError,
  ResponseSizeError,
  UnsupportedVersionError,
} from './errors.js';
import { apiVersionsProblem, checked } from './response-checks.js';
import { authenticate } from './sasl/authenticate.js';
import type { SaslOptions } from './sasl/session.js';
import { isTlsFailure, tlsConnectOptions, type TlsOptions } from './tls.js';

export interface ConnectionOptions {
  host: string;
  port: number;
  /** The broker's node id when known (from metadata); used in error messages. */
  nodeId?: number;
  clientId?: string | null;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  clientSoftwareName?: string;
  clientSoftwareVersion?: string;
  /** Largest response frame accepted (bytes after the size prefix); default DEFAULT_MAX_RESPONSE_SIZE. */
  maxResponseSize?: number;
  /** TLS: true for the system's CAs, or options; absent or null: plain TCP. */
  tls?: true | TlsOptions | null;
  /** Authenticate with SASL after ApiVersions. */
  sasl?: SaslOptions | null;
}

export type ResponseCallback<Res> = (err: Error | null, res?: Res) => void;

interface Pending {
  correlationId: number;
  api: Api<unknown, unknown>;
  version: number;
  deadline: number;
  timeoutMs: number;
  callback: ResponseCallback<unknown>;
}

/** A request without a response (acks=0) handed to the socket and not yet written. */
interface Unwritten {
  api: Api<unknown, unknown>;
  version: number;
  deadline: number;
  timeoutMs: number;
  /** Cleared once called: the write finished, or the connection failed first. */
  callback: ((err: Error | null) => void) | null;
}

/** A request made while the connection re-authenticates; `expectsResponse` false: acks=0 Produce. */
interface Held {
  api: Api<unknown, unknown>;
  version: number;
  body: unknown;
  timeoutMs: number;
  expectsResponse: boolean;
  callback: ResponseCallback<unknown>;
}

/**
 * 100 MiB, the bound a broker puts on requests (socket.request.max.bytes). A
 * producer's largest answer is Metadata, kilobytes for the topics it writes
 * to; the bound only limits what a corrupt or hostile size prefix can make
 * us buffer.
 */
export const DEFAULT_MAX_RESPONSE_SIZE = 100 * 1024 * 1024;
const UNSUPPORTED_VERSION = 35;
const TIMER_TICK_MS = 100;

export class Connection extends EventEmitter {
  readonly host: string;
  readonly port: number;
  readonly nodeId: number | undefined;
  /** host:port, and the node id when known: how errors name this broker. */
  readonly broker: string;

  readonly #socket: net.Socket;
  readonly #clientId: string | null;
  readonly #requestTimeoutMs: number;
  readonly #maxResponseSize: number;
  #versions = new Map<number, { min: number; max: number }>();
  readonly #features = new Map<string, number>();
  #pending: Pending[] = [];
  #pendingHead = 0;
  /** acks=0 requests not yet written, oldest first (a socket finishes its writes in order). */
  #unwritten: Unwritten[] = [];
  #unwrittenHead = 0;
  #nextCorrelationId = 0;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #timer: NodeJS.Timeout | null = null;
  #closed: ConnectionError | null = null;
  #closedPromise: Promise<void>;
  readonly #sasl: SaslOptions | null;
  /** When the next request must re-authenticate first (Date.now() ms); Infinity: never. */
  #reauthenticateAt = Infinity;
  /** Requests held while re-authenticating, else null. */
  #held: Held[] | null = null;

  private constructor(socket: net.Socket, opts: ConnectionOptions) {
    super();
    this.host = opts.host;
    this.port = opts.port;
    this.nodeId = opts.nodeId;
    this.broker = describeBroker(opts);
    this.#socket = socket;
    this.#clientId = opts.clientId ?? null;
    this.#requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.#maxResponseSize = opts.maxResponseSize ?? DEFAULT_MAX_RESPONSE_SIZE;
    this.#sasl = opts.sasl ?? null;
    this.#closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.#fail(new ConnectionClosedError(this.broker, err.message, err)));
    socket.on('close', () => this.#fail(new ConnectionClosedError(this.broker, 'the broker closed the connection')));
  }

  /**
   * Opens a connection (TCP, or TLS up to a verified handshake), negotiates
   * API versions and authenticates; rejects with a typed error naming the
   * broker. `signal` aborts it at any step (the client closes: a broker
   * that accepted the socket but never answers must not hold close() up to
   * a timeout).
   */
  static async connect(opts: ConnectionOptions, signal?: AbortSignal): Promise<Connection> {
    const broker = describeBroker(opts);
    const aborted = () => new ConnectionClosedError(broker, 'closed by the client while connecting');
    if (signal?.aborted) throw aborted();
    const timeoutMs = opts.connectTimeoutMs ?? 10_000;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const where = { host: opts.host, port: opts.port, noDelay: true, keepAlive: true };
      const s = opts.tls ? tls.connect({ ...where, ...tlsConnectOptions(opts.tls === true ? {} : opts.tls, opts.host) }) : net.connect(where);
      // An idle producer does not hold the process; pending work does (SenderHost.keepAlive).
      s.unref();
      const onAbort = () => {
        clearTimeout(timer);
        s.destroy();
        reject(aborted());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Ref'd: a connect under way is pending work and holds the process until it ends; the idle socket does not.
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        s.destroy();
        reject(new ConnectTimeoutError(broker, timeoutMs));
      }, timeoutMs);
      s.once(opts.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        s.destroy();
        reject(
          err.code === 'ECONNREFUSED'
            ? new ConnectionRefusedError(broker, err)
            : (tlsRefusal(broker, err) ?? new ConnectionClosedError(broker, `could not connect: ${err.message}`, err)),
        );
      });
    });
    const conn = new Connection(socket, opts);
    // Closing fails the handshake's pending requests at once.
    const onAbort = () => conn.#fail(aborted());
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await conn.#negotiate(opts);
      if (conn.#sasl) await conn.#authenticate(conn.#sasl);
    } catch (err) {
      conn.close();
      // With TLS 1.3 the broker checks our certificate after our handshake is done: its refusal arrives here.
      throw (opts.tls && err instanceof ConnectionError ? tlsRefusal(broker, err.cause) : null) ?? err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return conn;
  }

  /** SASL authentication, first or again; sets when the next one is due. */
  async #authenticate(sasl: SaslOptions): Promise<void> {
    const started = Date.now();
    const lifetimeMs = await authenticate(sasl, {
      broker: this.broker,
      versionFor: (api) => this.versionFor(api),
      call: (api, body, version) =>
        new Promise((resolve, reject) => {
          if (this.#closed) reject(this.#closed);
          else this.#enqueue(api as Api<unknown, unknown>, version, body, this.#requestTimeoutMs, (err, res) => (err ? reject(err) : resolve(res as never)));
        }),
    });
    this.#reauthenticateAt = lifetimeMs > 0 ? started + lifetimeMs * (0.85 + Math.random() * 0.1) : Infinity;
  }

  /**
   * Whether a request must wait: a re-authentication is under way, or is
   * due now and starts. A failed one closes the connection with its error
   * (an AuthenticationError when the broker refused).
   */
  #mustHold(): boolean {
    if (this.#held) return true;
    if (this.#sasl === null || Date.now() < this.#reauthenticateAt) return false;
    this.#held = [];
    this.#reauthenticateAt = Infinity;
    this.#authenticate(this.#sasl).then(
      () => this.#release(),
      (err: unknown) => this.#fail(err instanceof ConnectionError ? err : new ConnectionClosedError(this.broker, 're-authentication failed', err)),
    );
    return true;
  }

  /** Re-authenticated: the held requests go, in the order they were made. */
  #release(): void {
    const held = this.#held ?? [];
    this.#held = null;
    for (const h of held) {
      if (this.#closed) {
        h.callback(this.#closed);
      } else if (h.expectsResponse) {
        this.#enqueue(h.api, h.version, h.body, h.timeoutMs, h.callback);
      } else {
        this.#writeWithoutResponse(h.api, h.version, h.body, h.callback);
      }
    }
  }

  /**
   * ApiVersions at our highest version; a broker that does not know that
   * version answers error 35 in the v0 format with its own range: retry there.
   */
  async #negotiate(opts: ConnectionOptions): Promise<void> {
    const body = { clientSoftwareName: opts.clientSoftwareName, clientSoftwareVersion: opts.clientSoftwareVersion };
    let version = ApiVersions.maxVersion;
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await new Promise<ApiVersionsResponse>((resolve, reject) => {
        this.#enqueue(ApiVersions, version, body, this.#requestTimeoutMs, (err, r) => (err ? reject(err) : resolve(r as ApiVersionsResponse)));
      });
      if (res.errorCode === UNSUPPORTED_VERSION) {
        const theirs = res.apiKeys.find((k) => k.apiKey === ApiVersions.key);
        if (!theirs || attempt > 0) break;
        version = Math.min(theirs.maxVersion, ApiVersions.maxVersion);
        continue;
      }
      if (res.errorCode !== 0) throw new KafkaResponseError(res.errorCode, `ApiVersions from ${this.broker}`);
      checked(res, apiVersionsProblem(res, this.broker));
      for (const k of res.apiKeys) this.#versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
      for (const f of res.finalizedFeatures) this.#features.set(f.name, f.maxVersionLevel);
      return;
    }
    throw new UnsupportedVersionError(this.broker, 'the broker supports no ApiVersions version this client speaks');
  }

  /** The API ranges the broker advertised. */
  get apiVersions(): ReadonlyMap<number, { min: number; max: number }> {
    return this.#versions;
  }

  /** Feature levels the cluster finalized, as this broker knew them at connect (empty before ApiVersions v3). */
  get finalizedFeatures(): ReadonlyMap<string, number> {
    return this.#features;
  }

  /** The highest version of `api` both sides support; throws when there is none. */
  versionFor(api: Api<unknown, unknown>): number {
    const theirs = this.#versions.get(api.key);
    if (!theirs) throw new UnsupportedVersionError(this.broker, `the broker does not support ${api.name}`);
    const v = Math.min(theirs.max, api.maxVersion);
    if (v < Math.max(theirs.min, api.minVersion)) {
      throw new UnsupportedVersionError(
        this.broker,
        `no common ${api.name} version: broker ${theirs.min}-${theirs.max}, client ${api.minVersion}-${api.maxVersion}`,
      );
    }
    return v;
  }

  /** Requests written and not yet answered, and those held while re-authenticating. */
  get inFlight(): number {
    return this.#pending.length - this.#pendingHead + (this.#held?.length ?? 0);
  }

  get closed(): boolean {
    return this.#closed !== null;
  }

  /** Whether the socket's write buffer is over its high-water mark. */
  get writableNeedDrain(): boolean {
    return this.#socket.writableNeedDrain;
  }

  request<Req, Res>(api: Api<Req, Res>, body: Req, opts: { version?: number; timeoutMs?: number } = {}): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      this.requestWithCallback(api, body, (err, res) => (err ? reject(err) : resolve(res as Res)), opts);
    });
  }

  /** The callback core under request(): no promise for callers on a hot path. */
  requestWithCallback<Req, Res>(
    api: Api<Req, Res>,
    body: Req,
    callback: ResponseCallback<Res>,
    opts: { version?: number; timeoutMs?: number } = {},
  ): void {
    if (this.#closed) {
      callback(this.#closed);
      return;
    }
    let version: number;
    try {
      version = opts.version ?? this.versionFor(api);
    } catch (err) {
      callback(err as Error);
      return;
    }
    const timeoutMs = opts.timeoutMs ?? this.#requestTimeoutMs;
    if (this.#mustHold()) {
      this.#held?.push({ api: api as Api<unknown, unknown>, version, body, timeoutMs, expectsResponse: true, callback: callback as ResponseCallback<unknown> });
      return;
    }
    this.#enqueue(api as Api<unknown, unknown>, version, body, timeoutMs, callback as ResponseCallback<unknown>);
  }

  /**
   * Writes a request that gets no response (Produce with acks=0). The
   * callback runs once the bytes are handed to the kernel, or with the
   * error that closed the connection first: RequestTimeoutError when they
   * were not written within requestTimeoutMs (the broker stopped reading).
   */
  sendWithoutResponse<Req>(api: Api<Req, unknown>, body: Req, callback: (err: Error | null) => void, version?: number): void {
    if (this.#closed) {
      callback(this.#closed);
      return;
    }
    let v: number;
    try {
      v = version ?? this.versionFor(api);
    } catch (err) {
      callback(err as Error);
      return;
    }
    if (this.#mustHold()) {
      this.#held?.push({ api: api as Api<unknown, unknown>, version: v, body, timeoutMs: this.#requestTimeoutMs, expectsResponse: false, callback });
      return;
    }
    this.#writeWithoutResponse(api as Api<unknown, unknown>, v, body, callback);
  }

  #writeWithoutResponse(api: Api<unknown, unknown>, version: number, body: unknown, callback: (err: Error | null) => void): void {
    let frame: Buffer[];
    try {
      frame = encodeRequest(api, version, this.#correlationId(), this.#clientId, body);
    } catch (err) {
      callback(err as Error);
      return;
    }
    const w: Unwritten = { api, version, deadline: Date.now() + this.#requestTimeoutMs, timeoutMs: this.#requestTimeoutMs, callback };
    this.#unwritten.push(w);
    this.#startTimer();
    this.#write(frame, (err) => this.#written(w, err));
  }

  /** The socket wrote an acks=0 request (or failed to): its caller hears, once. */
  #written(w: Unwritten, err: Error | null): void {
    const callback = w.callback;
    if (callback === null) return;
    w.callback = null;
    while (this.#unwrittenHead < this.#unwritten.length && (this.#unwritten[this.#unwrittenHead] as Unwritten).callback === null) this.#unwrittenHead++;
    if (this.#unwrittenHead === this.#unwritten.length) {
      this.#unwritten.length = 0;
      this.#unwrittenHead = 0;
      this.#stopTimerIfIdle();
    } else if (this.#unwrittenHead > 1024) {
      this.#unwritten = this.#unwritten.slice(this.#unwrittenHead);
      this.#unwrittenHead = 0;
    }
    callback(err);
  }

  #startTimer(): void {
    if (this.#timer) return;
    // Ref'd: it runs only while requests wait for an answer or a write, so a
    // request in flight holds the process (an await on it would otherwise end
    // the process when nothing else is pending), and an idle connection does not.
    this.#timer = setInterval(() => this.#checkDeadlines(), TIMER_TICK_MS);
  }

  #stopTimerIfIdle(): void {
    if (this.#timer && this.#pending.length === this.#pendingHead && this.#unwritten.length === this.#unwrittenHead) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  #correlationId(): number {
    const id = this.#nextCorrelationId;
    this.#nextCorrelationId = (id + 1) & 0x7fffffff;
    return id;
  }

  #enqueue(api: Api<unknown, unknown>, version: number, body: unknown, timeoutMs: number, callback: ResponseCallback<unknown>): void {
    let frame: Buffer[];
    const correlationId = this.#correlationId();
    try {
      frame = encodeRequest(api, version, correlationId, this.#clientId, body);
    } catch (err) {
      callback(err as Error);
      return;
    }
    this.#pending.push({ correlationId, api, version, deadline: Date.now() + timeoutMs, timeoutMs, callback });
    this.#write(frame, null);
    this.#startTimer();
  }

  #write(frame: Buffer[], done: ((err: Error | null) => void) | null): void {
    const socket = this.#socket;
    if (frame.length === 1) {
      socket.write(frame[0] as Buffer, done ? (err) => done(err ?? null) : undefined);
      return;
    }
    socket.cork();
    for (let i = 0; i < frame.length; i++) {
      const last = i === frame.length - 1;
      socket.write(frame[i] as Buffer, last && done ? (err) => done(err ?? null) : undefined);
    }
    socket.uncork();
  }

  #checkDeadlines(): void {
    const now = Date.now();
    for (let i = this.#pendingHead; i < this.#pending.length; i++) {
      const p = this.#pending[i] as Pending;
      if (p.deadline <= now) {
        this.#fail(new RequestTimeoutError(this.broker, `${p.api.name} v${p.version} (correlation id ${p.correlationId})`, p.timeoutMs), p);
        return;
      }
    }
    // Writes finish in order: the oldest unwritten one is the first to miss its deadline.
    const w = this.#unwritten[this.#unwrittenHead];
    if (w && w.deadline <= now) {
      this.#fail(new RequestTimeoutError(this.broker, `${w.api.name} v${w.version} without a response (not written: the broker stopped reading)`, w.timeoutMs));
    }
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    while (this.#buffered >= 4 && !this.#closed) {
      const size = this.#peekSize();
      if (size < 0 || size > this.#maxResponseSize) {
        this.#corrupt(new ResponseSizeError(size, this.#maxResponseSize));
        return;
      }
      if (this.#buffered < 4 + size) return;
      const frame = this.#take(4 + size).subarray(4);
      this.#onFrame(frame);
    }
  }

  #peekSize(): number {
    const first = this.#chunks[0] as Buffer;
    if (first.length >= 4) return first.readInt32BE(0);
    return this.#take(4, true).readInt32BE(0);
  }

  /** The next n buffered bytes, by reference when one chunk holds them; `peek` leaves them buffered. */
  #take(n: number, peek = false): Buffer {
    const first = this.#chunks[0] as Buffer;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (!peek) {
        if (first.length === n) this.#chunks.shift();
        else this.#chunks[0] = first.subarray(n);
      }
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      let i = 0;
      while (filled < n) {
        const c = this.#chunks[i] as Buffer;
        const part = Math.min(c.length, n - filled);
        c.copy(out, filled, 0, part);
        filled += part;
        if (!peek) {
          if (part === c.length) {
            this.#chunks.shift();
            continue;
          }
          this.#chunks[0] = c.subarray(part);
        }
        i++;
      }
    }
    if (!peek) this.#buffered -= n;
    return out;
  }

  #onFrame(frame: Buffer): void {
    const p = this.#pending[this.#pendingHead];
    let correlationId: number;
    try {
      correlationId = responseCorrelationId(frame);
    } catch (err) {
      this.#corrupt(err as Error);
      return;
    }
    if (!p || p.correlationId !== correlationId) {
      const expected = p ? `expected ${p.correlationId}` : 'no request was pending';
      this.#corrupt(new ProtocolError(`response correlation id ${correlationId}, ${expected}`));
      return;
    }
    this.#shiftPending();
    let res: unknown;
    try {
      // A broker that does not know our ApiVersions version answers in v0.
      const version = p.api.key === ApiVersions.key && frame.length >= 6 && frame.readInt16BE(4) === UNSUPPORTED_VERSION ? 0 : p.version;
      res = decodeResponse(p.api, version, frame);
    } catch (err) {
      const named = err instanceof MalformedResponseError ? new MalformedResponseError(err.api, err.version, err.offset, err.cause as Error, this.broker) : (err as Error);
      // Closed first, so that the request's owner retries on a new connection.
      this.#corrupt(named);
      p.callback(named);
      return;
    }
    p.callback(null, res);
  }

  /** Bytes that break the protocol: nothing after them lines up, so every request still pending fails and the socket goes. */
  #corrupt(cause: Error): void {
    this.#fail(new ConnectionClosedError(this.broker, `corrupt stream: ${cause.message}`, cause));
  }

  #shiftPending(): void {
    this.#pendingHead++;
    // Compact rarely: an array with a moving head, not shift() per response.
    if (this.#pendingHead === this.#pending.length) {
      this.#pending.length = 0;
      this.#pendingHead = 0;
    } else if (this.#pendingHead > 1024) {
      this.#pending = this.#pending.slice(this.#pendingHead);
      this.#pendingHead = 0;
    }
    this.#stopTimerIfIdle();
  }

  /** Fails every pending request and tears the socket down; the first error wins. */
  #fail(err: ConnectionError, culprit?: Pending, graceful = false): void {
    if (this.#closed) return;
    this.#closed = err;
    if (this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
    const pending = this.#pending.slice(this.#pendingHead);
    this.#pending = [];
    this.#pendingHead = 0;
    const held = this.#held ?? [];
    this.#held = null;
    const unwritten = this.#unwritten.slice(this.#unwrittenHead);
    this.#unwritten = [];
    this.#unwrittenHead = 0;
    if (graceful) {
      // Let written bytes (acks=0 requests) reach the broker; never wait long. Only the client's own close
      // is graceful: the producer takes no records then, so no batch's memory is reused meanwhile.
      // Ref'd, and cleared once the socket closed: a close under way is pending work (an await on it would
      // otherwise end the process while the socket is unref'd), and it never holds the process past 1 s.
      this.#socket.end();
      const force = setTimeout(() => this.#socket.destroy(), 1000);
      this.#socket.once('close', () => clearTimeout(force));
    } else {
      this.#socket.destroy();
    }
    for (const p of [...pending, ...held]) {
      p.callback(p === culprit ? err : culprit ? new ConnectionClosedError(this.broker, `an earlier request timed out`) : err);
    }
    for (const w of unwritten) this.#written(w, err);
    // `graceful` only for close(): listeners tell a client's own close from a failure.
    this.emit('close', err, graceful);
  }

  /** Closes the connection; requests still pending fail with ConnectionClosedError. */
  close(): Promise<void> {
    this.#fail(new ConnectionClosedError(this.broker, 'closed by the client'), undefined, true);
    return this.#closedPromise;
  }
}

/** A TLS refusal as an AuthenticationError, with what to check; null for any other error. */
function tlsRefusal(broker: string, err: unknown): AuthenticationError | null {
  if (!isTlsFailure(err)) return null;
  const e = err as NodeJS.ErrnoException & { reason?: string; cert?: { subjectaltname?: string } };
  // OpenSSL's own message spans lines and source paths; its reason says it all (e.g. "sslv3 alert bad certificate").
  let what = e.code?.startsWith('ERR_SSL_') && e.reason ? `${e.reason} (${e.code})` : e.message;
  if (e.code === 'ERR_TLS_CERT_ALTNAME_INVALID' && e.cert?.subjectaltname) what += ` (the certificate is for ${e.cert.subjectaltname})`;
  return new AuthenticationError(broker, 'TLS', `TLS handshake failed: ${what}; check the ssl option (ca, servername, cert and key) against the broker's listener and certificate`, err);
}

export function describeBroker(opts: { host: string; port: number; nodeId?: number }): string {
  return opts.nodeId === undefined ? `${opts.host}:${opts.port}` : `${opts.host}:${opts.port} (node ${opts.nodeId})`;
}
