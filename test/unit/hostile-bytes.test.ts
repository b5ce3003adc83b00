// Hostile bytes, case by case (the fuzzer, scripts/fuzz, throws a million at
// the same code): lengths, counts and varints that promise more than the
// bytes hold are ProtocolErrors before anything is allocated; a response that
// does not decode is a MalformedResponseError naming the API, version and
// offset; and the connection closes on a size prefix above maxResponseSize or
// a malformed response, failing what was in flight retriably.

import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { Connection } from '../../src/network/connection.js';
import { ConnectionClosedError, ResponseSizeError } from '../../src/network/errors.js';
import { decodeResponse } from '../../src/protocol/api.js';
import { ApiVersions } from '../../src/protocol/apis/api-versions.js';
import { EndTxn } from '../../src/protocol/apis/end-txn.js';
import { InitProducerId } from '../../src/protocol/apis/init-producer-id.js';
import { MalformedResponseError, ProtocolError } from '../../src/protocol/errors.js';
import { Reader } from '../../src/protocol/reader.js';
import { onRequests, responseFrame, serve, type FakeRequest } from '../support/fake-broker.js';

const reader = (hex: string) => new Reader(Buffer.from(hex, 'hex'));

describe('Reader: a length or count is checked against the bytes left', () => {
  it.each<[string, string, (r: Reader) => unknown, RegExp]>([
    ['an ARRAY count above the bytes left', '7fffffff010203', (r) => r.arrayLength(), /array at offset 0 claims 2147483647 elements with 3 bytes left/],
    ['a COMPACT_ARRAY count of 2^32 - 2', 'ffffffff0f01', (r) => r.compactArrayLength(), /array at offset 0 claims 4294967294 elements with 1 bytes left/],
    ['a STRING length above the bytes left', '7fff6162', (r) => r.string(), /string needs 32767 bytes at offset 2, 2 left/],
    ['a COMPACT_STRING length of 2^32 - 2', 'ffffffff0f61', (r) => r.compactString(), /string needs 4294967294 bytes at offset 5, 1 left/],
    ['a negative BYTES length where null is not allowed', 'fffffffe', (r) => r.bytes(), /null where non-nullable bytes were expected/],
    ['an unsigned varint longer than 32 bits', 'ffffffff1f', (r) => r.uvarint(), /unsigned varint longer than 32 bits/],
    ['a varlong longer than 10 bytes (it was NaN)', '8080808080808080808001', (r) => r.varlong(), /varlong longer than 64 bits at offset 0/],
    ['a length that is not a number', '', (r) => r.raw(Number.NaN), /bytes needs NaN bytes/],
  ])('%s is a ProtocolError', (_what, hex, read, message) => {
    expect(() => read(reader(hex))).toThrow(ProtocolError);
    expect(() => read(reader(hex))).toThrow(message);
  });

  it('a negative ARRAY count is null, whatever its value', () => {
    expect(reader('fffffffe').arrayLength()).toBe(-1);
    expect(reader('80000000').arrayLength()).toBe(-1);
    expect(reader('00').compactArrayLength()).toBe(-1);
  });
});

describe('decodeResponse: bytes that do not decode are a MalformedResponseError', () => {
  it.each<[string, string, (frame: Buffer) => unknown, object]>([
    // correlation id, throttle, error code, then 5 of InitProducerId's 8 producer id bytes.
    ['a truncated body', '00000007' + '00000000' + '0000' + '0000000001', (f) => decodeResponse(InitProducerId, 0, f), { api: 'InitProducerId', version: 0, offset: 10 }],
    // EndTxn v3: empty header tags, throttle, error code, then a tagged field claiming 200 bytes.
    ['a tagged field longer than the frame', '00000007' + '00' + '00000000' + '0000' + '01' + '00' + 'c801', (f) => decodeResponse(EndTxn, 3, f), { api: 'EndTxn', version: 3, offset: 15 }],
    // ApiVersions v3: error code, then an api_keys count of -1 (compact 0): null where the schema allows none.
    ['a negative count where null is not allowed', '00000007' + '0000' + '00', (f) => decodeResponse(ApiVersions, 3, f), { api: 'ApiVersions', version: 3, offset: 7 }],
  ])('%s names the API, the version and the offset; the cause says why', (_what, hex, decode, fields) => {
    let error: unknown;
    try {
      decode(Buffer.from(hex, 'hex'));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ ...fields, broker: null, code: 'KPT_ERR_PROTOCOL' });
    expect((error as Error).cause).toBeInstanceOf(ProtocolError);
  });
});

/** A broker that answers ApiVersions, then hands every other request to `answer`. */
async function scriptedBroker(answer: (socket: net.Socket, req: FakeRequest) => void) {
  return serve((socket) =>
    onRequests(socket, (req) => {
      if (req.apiKey !== ApiVersions.key) answer(socket, req);
      else {
        const apiKeys = [ApiVersions, InitProducerId].map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion }));
        socket.write(responseFrame(ApiVersions, req.version, req.correlationId, { errorCode: 0, apiKeys, throttleTimeMs: 0 }));
      }
      return true;
    }),
  );
}

const initProducerId = { transactionalId: null, transactionTimeoutMs: 1000 };

/** Settles with the error a request failed with (or null), so several can be awaited together. */
const outcome = (p: Promise<unknown>) => p.then(
  () => null,
  (err: unknown) => err,
);

describe('Connection: hostile framing closes it', () => {
  it('a size prefix above maxResponseSize is refused as it arrives, while the broker keeps the connection open', async () => {
    // The broker claims 2 GiB for its first answer and sends nothing more.
    const broker = await scriptedBroker((socket, req) => {
      if (req.correlationId === 1) socket.write(Buffer.from('7fffffff', 'hex'));
    });
    // requestTimeoutMs is far beyond the test's timeout: only closing at once passes.
    const conn = await Connection.connect({ host: '127.0.0.1', port: broker.port, requestTimeoutMs: 600_000, maxResponseSize: 4096 });
    try {
      const closed = new Promise<unknown>((resolve) => conn.once('close', resolve));
      const errors = await Promise.all([outcome(conn.request(InitProducerId, initProducerId)), outcome(conn.request(InitProducerId, initProducerId))]);
      for (const err of errors) {
        expect(err).toBeInstanceOf(ConnectionClosedError);
        expect(err).toMatchObject({ retriable: true, broker: `127.0.0.1:${broker.port}` });
        expect((err as Error).message).toContain('corrupt stream: response of 2147483647 bytes is larger than maxResponseSize (4096)');
        expect((err as Error).cause).toBeInstanceOf(ResponseSizeError);
        expect((err as Error).cause).toMatchObject({ size: 2147483647, maxResponseSize: 4096 });
      }
      expect(await closed).toBe(errors[0]);
      expect(conn.closed).toBe(true);
    } finally {
      await conn.close();
      await broker.close();
    }
  });

  it('a response that does not decode fails its request with MalformedResponseError and closes the connection for the ones behind it', async () => {
    const broker = await scriptedBroker((socket, req) => {
      if (req.correlationId !== 1) return;
      const good = responseFrame(InitProducerId, req.version, req.correlationId, { throttleTimeMs: 0, errorCode: 0, producerId: 7, producerEpoch: 0 });
      // The same answer three bytes short, its size prefix saying so.
      const short = good.subarray(0, good.length - 3);
      short.writeInt32BE(short.length - 4, 0);
      socket.write(short);
    });
    const conn = await Connection.connect({ host: '127.0.0.1', port: broker.port, requestTimeoutMs: 600_000 });
    try {
      const version = conn.versionFor(InitProducerId);
      const [first, second] = await Promise.all([outcome(conn.request(InitProducerId, initProducerId)), outcome(conn.request(InitProducerId, initProducerId))]);
      expect(first).toBeInstanceOf(MalformedResponseError);
      expect(first).toMatchObject({ api: 'InitProducerId', version, broker: `127.0.0.1:${broker.port}` });
      expect(second).toBeInstanceOf(ConnectionClosedError);
      expect(second).toMatchObject({ retriable: true, cause: first });
      expect(conn.closed).toBe(true);
    } finally {
      await conn.close();
      await broker.close();
    }
  });
});

describe('option maxResponseSize', () => {
  it('is 100 MiB unless set, and a whole number of bytes from 1024', () => {
    expect(resolveConfig({ bootstrapServers: 'h:1' }).maxResponseSize).toBe(104_857_600);
    expect(resolveConfig({ bootstrapServers: 'h:1', maxResponseSize: 1024 }).maxResponseSize).toBe(1024);
    expect(() => resolveConfig({ bootstrapServers: 'h:1', maxResponseSize: 100 })).toThrow(ConfigError);
    expect(() => resolveConfig({ bootstrapServers: 'h:1', maxResponseSize: 100 })).toThrow('option maxResponseSize: must be between 1024 and 2147483647, got 100');
    expect(() => resolveConfig({ bootstrapServers: 'h:1', maxResponseSize: '1MB' as never })).toThrow('option maxResponseSize: must be an integer, got "1MB"');
  });
});
