// A TCP proxy for fault-injection tests: one per upstream broker, listening on
// 127.0.0.1 only. A test points the client at the proxy (and the broker
// advertises the proxy's port, see `clientListeners` in scripts/kafka/broker.ts)
// and then breaks the network at any moment:
//
// - resetAll(): RST every connection, both sides, whatever is in flight.
// - resetNextRequest(): the next request frame (optionally of one API only)
//   reaches the broker up to its middle, then both sides get an RST.
// - stall() / resume(): nothing is forwarded either way, sockets stay open
//   (a half-open peer: the client learns only from its own timeouts). New
//   connections are accepted but stalled too.
// - halfOpen(): the connections open now go silent both ways for good, as
//   when a NAT or firewall forgets them; new connections work.
// - delayResponses(ms): every response byte reaches the client ms later.
// - cutNextResponse(): the next response frame (optionally of one API only)
//   is forwarded up to its middle, then both sides are closed.
// - byteByByte(on): responses reach the client one byte per write.
//
// Kafka frames are a 4-byte big-endian length and that many bytes
// (https://kafka.apache.org/protocol#protocol_common). The proxy follows
// frame boundaries in both directions: requests to learn which API each
// correlation id belongs to, responses to cut one in the middle.

import net from 'node:net';
import { FrameScanner } from './frame-scanner.js';

export interface TcpProxyOptions {
  upstreamPort: number;
  upstreamHost?: string;
  /** 0 (default): any free port. */
  port?: number;
}

/** What the proxy did, for tests to assert on. */
export interface TcpProxyStats {
  accepted: number;
  open: number;
  resets: number;
  cuts: number;
  /** Connections reset half-way through a request (resetNextRequest). */
  requestResets: number;
  /** Connections gone silent (halfOpen). */
  halfOpened: number;
  /** Writes of response bytes to clients (one per byte while byteByByte is on). */
  responseWrites: number;
  /** Requests forwarded to the broker, by API key (17: SaslHandshake, one per authentication). */
  requestsByApiKey: Map<number, number>;
}

/** Response bytes held back beyond this make the proxy stop reading from the broker. */
const HIGH_WATER = 1 << 20;

export class TcpProxy {
  readonly port: number;
  readonly #server: net.Server;
  readonly #upstreamPort: number;
  readonly #upstreamHost: string;
  readonly #links = new Set<Link>();
  #stalled = false;
  #delayMs = 0;
  #byteByByte = false;
  /** Armed by cutNextResponse: which API's response to cut (null: any); consumed by the first link that cuts. */
  #cut: { apiKey: number | null } | null = null;
  /** Armed by resetNextRequest, as #cut is. */
  #requestReset: { apiKey: number | null } | null = null;
  readonly stats: TcpProxyStats = { accepted: 0, open: 0, resets: 0, cuts: 0, requestResets: 0, halfOpened: 0, responseWrites: 0, requestsByApiKey: new Map() };

  private constructor(server: net.Server, port: number, opts: TcpProxyOptions) {
    this.#server = server;
    this.port = port;
    this.#upstreamPort = opts.upstreamPort;
    this.#upstreamHost = opts.upstreamHost ?? '127.0.0.1';
    server.on('connection', (client) => this.#accept(client));
  }

  static async start(opts: TcpProxyOptions): Promise<TcpProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: opts.port ?? 0 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new TcpProxy(server, (server.address() as net.AddressInfo).port, opts);
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** RST on every open connection, to the client and to the broker. */
  resetAll(): void {
    for (const link of [...this.#links]) link.reset();
  }

  /**
   * The next request frame to start, of `apiKey` only if given (0 is
   * Produce), goes to the broker up to about its middle, then both sides
   * of its connection get an RST. Applies once.
   */
  resetNextRequest(opts: { apiKey?: number } = {}): void {
    this.#requestReset = { apiKey: opts.apiKey ?? null };
  }

  /** Disarms a cut or request reset that has not happened yet. */
  disarm(): void {
    this.#cut = null;
    this.#requestReset = null;
  }

  /** Whether a request reset is armed and not yet done. */
  get requestResetPending(): boolean {
    return this.#requestReset !== null;
  }

  /**
   * Every connection open now stops forwarding both ways and stays open
   * until a peer closes it: the client learns only from its own timeouts.
   * Connections made later are not affected.
   */
  halfOpen(): void {
    for (const link of this.#links) link.silence();
  }

  /** Stops forwarding both ways; sockets stay open until resume() (or a peer gives up). */
  stall(): void {
    this.#stalled = true;
    for (const link of this.#links) link.flow();
  }

  resume(): void {
    this.#stalled = false;
    for (const link of this.#links) link.flow();
  }

  /** Responses reach the client `ms` later than the broker sent them (0: no delay). */
  delayResponses(ms: number): void {
    this.#delayMs = ms;
  }

  /**
   * The next response frame to start, of `apiKey` only if given (0 is
   * Produce), goes to the client up to about its middle, then both sides of
   * its connection are closed. Applies once.
   */
  cutNextResponse(opts: { apiKey?: number } = {}): void {
    this.#cut = { apiKey: opts.apiKey ?? null };
  }

  /** Whether a cut is armed and not yet done. */
  get cutPending(): boolean {
    return this.#cut !== null;
  }

  /** Responses go to the client one byte per write (and event-loop turn), to exercise the client's frame reassembly. */
  byteByByte(on: boolean): void {
    this.#byteByByte = on;
    for (const link of this.#links) link.flow();
  }

  async close(): Promise<void> {
    this.resetAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    this.stats.accepted++;
    const link = new Link(this, client, net.connect({ host: this.#upstreamHost, port: this.#upstreamPort }));
    this.#links.add(link);
    this.stats.open = this.#links.size;
    link.onDone = () => {
      this.#links.delete(link);
      this.stats.open = this.#links.size;
    };
  }

  // ---- read by links ----

  get stalled(): boolean {
    return this.#stalled;
  }

  get delayMs(): number {
    return this.#delayMs;
  }

  get oneByte(): boolean {
    return this.#byteByByte;
  }

  /** Takes the armed request reset if it applies to a request of this API. */
  takeRequestReset(apiKey: number): boolean {
    if (!this.#requestReset || (this.#requestReset.apiKey !== null && this.#requestReset.apiKey !== apiKey)) return false;
    this.#requestReset = null;
    this.stats.requestResets++;
    return true;
  }

  /** Takes the armed cut if it applies to a response of this API. */
  takeCut(apiKey: number | undefined): boolean {
    if (!this.#cut || (this.#cut.apiKey !== null && this.#cut.apiKey !== apiKey)) return false;
    this.#cut = null;
    this.stats.cuts++;
    return true;
  }
}

/** Where to cut a frame of this length (the prefix's value): about its middle, past its head; null if too short to cut. */
function halfOf(size: number, headBytes: number): number | null {
  const at = Math.max(headBytes, 4 + Math.floor(size / 2));
  return at < 4 + size ? at : null;
}

/** One client connection and its connection to the broker. */
class Link {
  readonly #proxy: TcpProxy;
  readonly #client: net.Socket;
  readonly #upstream: net.Socket;
  /** Correlation id -> API key of the requests sent, to recognise their responses. */
  readonly #apiKeys = new Map<number, number>();
  readonly #requests = new FrameScanner(12, (head) => {
    // Request header: length, api key (int16), api version (int16), correlation id (int32).
    const apiKey = head.readInt16BE(4);
    this.#apiKeys.set(head.readInt32BE(8), apiKey);
    const counts = this.#proxy.stats.requestsByApiKey;
    counts.set(apiKey, (counts.get(apiKey) ?? 0) + 1);
    const at = halfOf(head.readInt32BE(0), 12);
    return at !== null && this.#proxy.takeRequestReset(apiKey) ? at : null;
  });
  readonly #responses = new FrameScanner(8, (head) => {
    // Response header: length, correlation id. Cut at about half the frame.
    const correlationId = head.readInt32BE(4);
    const apiKey = this.#apiKeys.get(correlationId);
    this.#apiKeys.delete(correlationId);
    const at = halfOf(head.readInt32BE(0), 8);
    return at !== null && this.#proxy.takeCut(apiKey) ? at : null;
  });
  /** Response bytes not yet written to the client, each with when it may go. */
  readonly #out: { bytes: Buffer; at: number }[] = [];
  #outBytes = 0;
  /** Set once the cut point is queued: close both sides after writing it. */
  #closeAfterOut = false;
  /** The broker closed its side: end the client's once the bytes before it are out. */
  #upstreamClosed = false;
  #pumpTimer: NodeJS.Timeout | null = null;
  #pumpScheduled = false;
  /** halfOpen(): nothing moves on this connection any more. */
  #silent = false;
  /** Half a request is on its way to the broker, the RST follows: forward nothing more. */
  #requestCut = false;
  #done = false;
  onDone: () => void = () => {};

  constructor(proxy: TcpProxy, client: net.Socket, upstream: net.Socket) {
    this.#proxy = proxy;
    this.#client = client;
    this.#upstream = upstream;
    // Small writes (byteByByte, a cut) must leave at once, not wait for Nagle.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (chunk: Buffer) => this.#onRequestBytes(chunk));
    upstream.on('data', (chunk: Buffer) => this.#onResponseBytes(chunk));
    upstream.on('drain', () => this.flow());
    client.on('drain', () => this.flow());
    for (const s of [client, upstream]) s.on('error', () => this.reset());
    // The client hung up: so does the proxy, towards the broker.
    client.on('close', () => {
      this.#finish();
      upstream.destroy();
    });
    // The broker hung up: the client still gets what was left to forward, then the same.
    upstream.on('close', () => {
      this.#upstreamClosed = true;
      this.#schedulePump(0);
    });
    this.flow();
  }

  /** Pauses or resumes reading from both sides to match the proxy's state and the backlog. */
  flow(): void {
    if (this.#done) return;
    this.#setReading();
    if (!this.#stalled && (this.#out.length > 0 || this.#closeAfterOut || this.#upstreamClosed)) this.#schedulePump(0);
  }

  silence(): void {
    if (this.#done || this.#silent) return;
    this.#silent = true;
    this.#proxy.stats.halfOpened++;
    this.flow();
  }

  get #stalled(): boolean {
    return this.#silent || this.#proxy.stalled;
  }

  #setReading(): void {
    if (this.#silent) {
      // Reads from the client are dropped, but go on: its close still ends the link.
      this.#client.resume();
      this.#upstream.pause();
      return;
    }
    const stalled = this.#proxy.stalled;
    if (stalled || this.#requestCut || this.#upstream.writableNeedDrain) this.#client.pause();
    else this.#client.resume();
    if (stalled || this.#outBytes > HIGH_WATER || this.#closeAfterOut) this.#upstream.pause();
    else this.#upstream.resume();
  }

  reset(): void {
    if (this.#done) return;
    this.#proxy.stats.resets++;
    this.#finish();
    // resetAndDestroy sends RST instead of FIN (Node 16.17+); a socket still connecting is just destroyed.
    for (const s of [this.#client, this.#upstream]) {
      if (s.connecting || s.destroyed) s.destroy();
      else s.resetAndDestroy();
    }
  }

  #onRequestBytes(chunk: Buffer): void {
    if (this.#done || this.#requestCut || this.#silent) return;
    const resetAt = this.#requests.scan(chunk);
    if (resetAt !== null) {
      // The broker gets the first half of the request, then the RST, a
      // moment later: an RST that finds unread bytes at the receiver reads
      // there as a plain end of stream.
      this.#requestCut = true;
      this.#client.pause();
      this.#upstream.write(chunk.subarray(0, resetAt), () => setTimeout(() => this.reset(), 20));
      return;
    }
    this.#upstream.write(chunk);
    if (this.#upstream.writableNeedDrain) this.#setReading();
  }

  #onResponseBytes(chunk: Buffer): void {
    if (this.#closeAfterOut) return;
    const cutAt = this.#responses.scan(chunk);
    const bytes = cutAt === null ? chunk : chunk.subarray(0, cutAt);
    if (cutAt !== null) this.#closeAfterOut = true;
    if (bytes.length > 0) {
      this.#out.push({ bytes, at: Date.now() + this.#proxy.delayMs });
      this.#outBytes += bytes.length;
    }
    this.flow();
  }

  #schedulePump(delayMs: number): void {
    if (this.#done) return;
    if (delayMs > 0) {
      if (this.#pumpTimer) return;
      this.#pumpTimer = setTimeout(() => {
        this.#pumpTimer = null;
        this.#pump();
      }, delayMs);
      return;
    }
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Writes due response bytes in order: all of them, or one byte per turn. */
  #pump(): void {
    if (this.#done || this.#stalled) return;
    while (this.#out.length > 0 && !this.#client.writableNeedDrain) {
      const head = this.#out[0] as { bytes: Buffer; at: number };
      const wait = head.at - Date.now();
      if (wait > 0) {
        this.#schedulePump(wait);
        return;
      }
      this.#proxy.stats.responseWrites++;
      if (this.#proxy.oneByte) {
        this.#client.write(head.bytes.subarray(0, 1));
        head.bytes = head.bytes.subarray(1);
        this.#outBytes--;
        if (head.bytes.length === 0) this.#out.shift();
        this.#schedulePump(0);
        return;
      }
      this.#client.write(head.bytes);
      this.#outBytes -= head.bytes.length;
      this.#out.shift();
    }
    if (this.#out.length === 0 && (this.#closeAfterOut || this.#upstreamClosed)) {
      // After a cut the client has part of a frame: FIN to it, RST to the broker.
      this.#finish();
      this.#client.end();
      if (!this.#upstream.destroyed) this.#upstream.resetAndDestroy();
      return;
    }
    this.#setReading();
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#pumpTimer) clearTimeout(this.#pumpTimer);
    this.onDone();
  }
}
