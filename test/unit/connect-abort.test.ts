// Closing the client aborts connections still being opened. A broker (or a
// proxy in front of one) that accepts the socket and then never answers the
// handshake must not hold close() until requestTimeoutMs: here it is ten
// minutes, so without the abort these tests would run into vitest's timeout.

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/network/cluster.js';
import { Connection } from '../../src/network/connection.js';
import { ConnectionClosedError } from '../../src/network/errors.js';

/** Accepts connections and never writes a byte; counts the sockets the client closed. */
async function silentBroker(): Promise<{ port: number; accepted: number; closedByClient: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const state = { port: 0, accepted: 0, closedByClient: 0, close: async () => {} };
  const server = net.createServer((s) => {
    state.accepted++;
    sockets.add(s);
    s.on('error', () => {});
    // Read (and drop) what the client sends, so its closing is seen.
    s.resume();
    s.on('close', () => {
      state.closedByClient++;
      sockets.delete(s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as net.AddressInfo).port;
  state.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

const TEN_MINUTES = 600_000;

describe('aborting a connection being opened', () => {
  it('Connection.connect rejects with ConnectionClosedError once its signal aborts during the handshake, and closes the socket', async () => {
    const broker = await silentBroker();
    open.push(broker);
    const abort = new AbortController();
    const pending = Connection.connect({ host: '127.0.0.1', port: broker.port, requestTimeoutMs: TEN_MINUTES, connectTimeoutMs: TEN_MINUTES }, abort.signal);
    await expect.poll(() => broker.accepted).toBe(1);
    abort.abort();
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect((err as Error).message).toMatch(/closed by the client while connecting/);
    await expect.poll(() => broker.closedByClient).toBe(1);
  });

  it('an aborted signal refuses to connect at all', async () => {
    const broker = await silentBroker();
    open.push(broker);
    const abort = new AbortController();
    abort.abort();
    await expect(Connection.connect({ host: '127.0.0.1', port: broker.port }, abort.signal)).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(broker.accepted).toBe(0);
  });

  it('Cluster.close() returns while a connection to a silent broker is being opened, and the socket is closed', async () => {
    const broker = await silentBroker();
    open.push(broker);
    const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${broker.port}`, requestTimeoutMs: TEN_MINUTES, connectTimeoutMs: TEN_MINUTES });
    const refresh = cluster.refreshMetadata(['t']).catch((e: unknown) => e);
    await expect.poll(() => broker.accepted).toBe(1);
    await cluster.close();
    await expect.poll(() => broker.closedByClient).toBe(1);
    expect(await refresh).toBeInstanceOf(Error);
  });
});
