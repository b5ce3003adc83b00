// The test TCP proxy (test/support/tcp-proxy.ts), each control against a
// local echo server framed like Kafka: a request is length, api key, api
// version, correlation id, payload; its response is length, correlation id,
// the same payload.

import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FrameScanner } from '../support/frame-scanner.js';
import { TcpProxy } from '../support/tcp-proxy.js';

function requestFrame(apiKey: number, correlationId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeInt32BE(8 + payload.length, 0);
  head.writeInt16BE(apiKey, 4);
  head.writeInt16BE(0, 6);
  head.writeInt32BE(correlationId, 8);
  return Buffer.concat([head, payload]);
}

/** The echo broker: answers each request frame with its correlation id and payload; counts what it saw. */
class EchoServer {
  readonly server = net.createServer((s) => this.#serve(s));
  readonly sockets = new Set<net.Socket>();
  requests = 0;
  resets = 0;
  /** Connections that ended with part of a frame unanswered. */
  partial = 0;
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen({ host: '127.0.0.1', port: 0 }, r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  #serve(s: net.Socket): void {
    this.sockets.add(s);
    let buf = Buffer.alloc(0);
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') this.resets++;
    });
    s.on('close', () => {
      this.sockets.delete(s);
      if (buf.length > 0) this.partial++;
    });
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const size = buf.readInt32BE(0);
        const frame = buf.subarray(4, 4 + size);
        buf = buf.subarray(4 + size);
        this.requests++;
        const out = Buffer.alloc(8);
        out.writeInt32BE(4 + size - 8, 0);
        out.writeInt32BE(frame.readInt32BE(4), 4);
        s.write(Buffer.concat([out, frame.subarray(8)]));
      }
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A client that records every chunk it receives, the frames they make, and how its socket ended. */
class Client {
  readonly socket: net.Socket;
  readonly chunks: Buffer[] = [];
  readonly frames: { correlationId: number; payload: Buffer }[] = [];
  error: NodeJS.ErrnoException | null = null;
  ended = false;
  closed = false;
  #buf = Buffer.alloc(0);
  readonly #waiters: (() => void)[] = [];

  constructor(port: number) {
    this.socket = net.connect({ host: '127.0.0.1', port });
    this.socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.#buf = Buffer.concat([this.#buf, chunk]);
      while (this.#buf.length >= 4 && this.#buf.length >= 4 + this.#buf.readInt32BE(0)) {
        const size = this.#buf.readInt32BE(0);
        this.frames.push({ correlationId: this.#buf.readInt32BE(4), payload: Buffer.from(this.#buf.subarray(8, 4 + size)) });
        this.#buf = this.#buf.subarray(4 + size);
      }
      this.#notify();
    });
    this.socket.on('end', () => (this.ended = true));
    this.socket.on('error', (err: NodeJS.ErrnoException) => (this.error = err));
    this.socket.on('close', () => {
      this.closed = true;
      this.#notify();
    });
  }

  get received(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }

  send(apiKey: number, correlationId: number, payload: Buffer): void {
    this.socket.write(requestFrame(apiKey, correlationId, payload));
  }

  /** Resolves once `check` holds (checked on every chunk and on close), or rejects after timeoutMs. */
  async until(check: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 20);
      });
    }
  }

  #notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('FrameScanner', () => {
  it('finds each frame head across arbitrary chunking and cuts where onHead says', () => {
    const frames = [requestFrame(0, 1, Buffer.alloc(30, 1)), requestFrame(3, 2, Buffer.alloc(0)), requestFrame(0, 3, Buffer.alloc(100, 2))];
    const stream = Buffer.concat(frames);
    for (const step of [1, 3, 7, 13, stream.length]) {
      const heads: number[] = [];
      const scanner = new FrameScanner(12, (head) => {
        heads.push(head.readInt32BE(8));
        return head.readInt32BE(8) === 3 ? 20 : null;
      });
      let cut: number | null = null;
      let offset = 0;
      for (; offset < stream.length && cut === null; offset += step) {
        const at = scanner.scan(stream.subarray(offset, offset + step));
        if (at !== null) cut = offset + at;
      }
      expect(heads).toEqual([1, 2, 3]);
      // Frame 3 starts after frames 1 and 2; the cut falls 20 bytes into it.
      expect(cut).toBe((frames[0] as Buffer).length + (frames[1] as Buffer).length + 20);
    }
  });
});

describe('TcpProxy', () => {
  let echo: EchoServer;
  let proxy: TcpProxy;
  const clients: Client[] = [];
  const connect = () => {
    const c = new Client(proxy.port);
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    echo = new EchoServer();
    await echo.start();
    proxy = await TcpProxy.start({ upstreamPort: echo.port });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await proxy.close();
    await echo.close();
  });

  it('forwards frames both ways, small and large, on 127.0.0.1', async () => {
    expect(proxy.address).toBe(`127.0.0.1:${proxy.port}`);
    const c = connect();
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    c.send(0, 1, Buffer.from('hello'));
    c.send(0, 2, big);
    await c.until(() => c.frames.length === 2);
    expect(c.frames[0]?.payload.toString()).toBe('hello');
    expect(c.frames[1]?.payload.equals(big)).toBe(true);
    expect(proxy.stats.open).toBe(1);
  });

  it('resetAll sends RST to the client and the broker, mid-request', async () => {
    const c = connect();
    c.send(0, 1, Buffer.from('first'));
    await c.until(() => c.frames.length === 1);
    // Half a request: the broker has the start of a frame when the reset comes.
    c.socket.write(requestFrame(0, 2, Buffer.alloc(1000)).subarray(0, 500));
    await sleep(50);
    proxy.resetAll();
    await c.until(() => c.closed);
    expect(c.error?.code).toBe('ECONNRESET');
    await sleep(50);
    expect(echo.resets).toBe(1);
    expect(echo.requests).toBe(1);
    expect(proxy.stats.resets).toBe(1);
    expect(proxy.stats.open).toBe(0);
    // The proxy itself goes on: a new connection works.
    const d = connect();
    d.send(0, 3, Buffer.from('again'));
    await d.until(() => d.frames.length === 1);
  });

  it('resetNextRequest lets half of the next request of the given API reach the broker, then resets both sides', async () => {
    const c = connect();
    proxy.resetNextRequest({ apiKey: 0 });
    c.send(3, 1, Buffer.alloc(100, 1)); // another API: passes whole
    await c.until(() => c.frames.length === 1);
    expect(proxy.requestResetPending).toBe(true);
    c.send(0, 2, Buffer.alloc(1000, 2));
    c.send(0, 3, Buffer.alloc(10, 3));
    await c.until(() => c.closed);
    expect(c.error?.code).toBe('ECONNRESET');
    await sleep(50);
    // The broker saw the first request, then part of the second and its connection end.
    expect(echo.requests).toBe(1);
    expect(echo.partial).toBe(1);
    expect(echo.sockets.size).toBe(0);
    expect(proxy.requestResetPending).toBe(false);
    expect(proxy.stats).toMatchObject({ requestResets: 1, resets: 1, open: 0 });
    // Once only.
    const d = connect();
    d.send(0, 4, Buffer.alloc(1000, 4));
    await d.until(() => d.frames.length === 1);
  });

  it('halfOpen silences the connections open now, for good; new ones work', async () => {
    const c = connect();
    c.send(0, 1, Buffer.from('before'));
    await c.until(() => c.frames.length === 1);
    proxy.halfOpen();
    c.send(0, 2, Buffer.from('into the void'));
    const d = connect();
    d.send(0, 3, Buffer.from('fresh'));
    await d.until(() => d.frames.length === 1);
    await sleep(300);
    expect(c.frames).toHaveLength(1);
    expect(c.closed).toBe(false);
    expect(echo.requests).toBe(2);
    expect(proxy.stats).toMatchObject({ halfOpened: 1, open: 2 });
    // resume() is for stall(): a silenced connection stays silent until the client gives up on it.
    proxy.resume();
    await sleep(100);
    expect(c.frames).toHaveLength(1);
    c.socket.destroy();
    await d.until(() => proxy.stats.open === 1);
  });

  it('stall forwards nothing either way and keeps the sockets open; resume delivers what waited', async () => {
    const c = connect();
    c.send(0, 1, Buffer.from('before'));
    await c.until(() => c.frames.length === 1);
    proxy.stall();
    c.send(0, 2, Buffer.from('during'));
    const late = connect(); // a connection made during the stall is stalled too
    late.send(0, 3, Buffer.from('late'));
    await sleep(300);
    expect(echo.requests).toBe(1);
    expect(c.frames).toHaveLength(1);
    expect(late.frames).toHaveLength(0);
    expect(c.closed || late.closed).toBe(false);
    expect(proxy.stats.open).toBe(2);
    proxy.resume();
    await c.until(() => c.frames.length === 2);
    await late.until(() => late.frames.length === 1);
    expect(c.frames[1]?.payload.toString()).toBe('during');
  });

  it('stall also holds responses the broker already sent', async () => {
    const c = connect();
    c.send(0, 1, Buffer.from('x'));
    await c.until(() => c.frames.length === 1);
    // The response is on its way back when the stall starts: delay it so it is still in the proxy.
    proxy.delayResponses(100);
    c.send(0, 2, Buffer.from('held'));
    await sleep(50);
    expect(echo.requests).toBe(2);
    proxy.stall();
    await sleep(200);
    expect(c.frames).toHaveLength(1);
    proxy.resume();
    await c.until(() => c.frames.length === 2);
  });

  it('delayResponses holds each response for the given time, in order', async () => {
    const c = connect();
    c.send(0, 1, Buffer.from('warm-up'));
    await c.until(() => c.frames.length === 1);
    proxy.delayResponses(250);
    const started = Date.now();
    c.send(0, 2, Buffer.from('a'));
    c.send(0, 3, Buffer.from('b'));
    await c.until(() => c.frames.length === 3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(c.frames.map((f) => f.correlationId)).toEqual([1, 2, 3]);
    proxy.delayResponses(0);
    const again = Date.now();
    c.send(0, 4, Buffer.from('c'));
    await c.until(() => c.frames.length === 4);
    expect(Date.now() - again).toBeLessThan(200);
  });

  it('cutNextResponse forwards half of the next response frame of the given API, then closes', async () => {
    const c = connect();
    proxy.cutNextResponse({ apiKey: 0 });
    c.send(3, 1, Buffer.alloc(100, 1)); // another API: passes whole
    await c.until(() => c.frames.length === 1);
    expect(proxy.cutPending).toBe(true);
    c.send(0, 2, Buffer.alloc(1000, 2)); // response frame: 4 + 4 + 1000 bytes
    await c.until(() => c.closed);
    const firstFrame = 4 + 4 + 100;
    expect(c.received - firstFrame).toBe(4 + Math.floor((4 + 1000) / 2));
    expect(c.frames).toHaveLength(1);
    expect(c.ended).toBe(true);
    expect(proxy.cutPending).toBe(false);
    expect(proxy.stats.cuts).toBe(1);
    // Once only: the next connection gets whole responses; and one disarmed never happens.
    proxy.cutNextResponse();
    proxy.resetNextRequest();
    proxy.disarm();
    expect([proxy.cutPending, proxy.requestResetPending]).toEqual([false, false]);
    const d = connect();
    d.send(0, 3, Buffer.alloc(1000, 3));
    await d.until(() => d.frames.length === 1);
  });

  it('cutNextResponse without an API cuts the next response, whichever it is, even a large one arriving in many chunks', async () => {
    const c = connect();
    proxy.cutNextResponse();
    c.send(7, 1, Buffer.alloc(2 * 1024 * 1024, 1));
    await c.until(() => c.closed, 10_000);
    expect(c.received).toBe(4 + Math.floor((4 + 2 * 1024 * 1024) / 2));
    expect(c.frames).toHaveLength(0);
  });

  it('byteByByte delivers responses one byte per write, intact', async () => {
    const c = connect();
    proxy.byteByByte(true);
    const payload = Buffer.from('one byte at a time');
    c.send(0, 1, payload);
    c.send(0, 2, payload);
    await c.until(() => c.frames.length === 2);
    const frameBytes = 2 * (8 + payload.length);
    expect(proxy.stats.responseWrites).toBe(frameBytes);
    // Writes a turn apart arrive apart; allow the odd coalesced read.
    expect(c.chunks.length).toBeGreaterThan(frameBytes / 2);
    expect(c.frames.map((f) => f.payload.toString())).toEqual([payload.toString(), payload.toString()]);
    proxy.byteByByte(false);
    c.send(0, 3, payload);
    await c.until(() => c.frames.length === 3);
    expect(proxy.stats.responseWrites).toBe(frameBytes + 1);
  });

  it('a broker that refuses the connection resets the client', async () => {
    await echo.close();
    const c = connect();
    await c.until(() => c.closed);
    expect(c.error?.code).toBe('ECONNRESET');
  });
});
