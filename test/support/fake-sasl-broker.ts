// A scripted SASL/PLAIN listener for the connection's authentication rules
// without a broker: ApiVersions, SaslHandshake, SaslAuthenticate (sessions
// of `lifetimeMs`, KIP-368) and Metadata (an empty cluster). Like a real
// broker it handles one request at a time per connection and answers in
// order; Metadata answers can be held back to keep a request in flight.
// It logs the API of every request in the order the bytes arrived.

import { decodeRequestBody, type Api } from '../../src/protocol/api.js';
import { ApiVersions } from '../../src/protocol/apis/api-versions.js';
import { Metadata } from '../../src/protocol/apis/metadata.js';
import { SaslAuthenticate, SaslHandshake } from '../../src/protocol/apis/sasl.js';
import { responseFrame, serve, type TestServer } from './fake-broker.js';

const APIS: Api<unknown, unknown>[] = [ApiVersions, Metadata, SaslHandshake, SaslAuthenticate] as Api<unknown, unknown>[];

export interface FakeSaslBroker extends TestServer {
  /** API names of the requests received, in order. */
  readonly received: string[];
  /** Holds Metadata answers (and so every answer after them) until release(). */
  holdMetadata(): void;
  release(): void;
}

export interface FakeSaslOptions {
  username: string;
  password: string;
  /** Session lifetime given on success (0: sessions do not expire). */
  lifetimeMs: number;
  /** Authentications after this many succeed are refused (a password changed on the broker). */
  refuseAfter?: number;
}

export async function fakeSaslBroker(opts: FakeSaslOptions): Promise<FakeSaslBroker> {
  const received: string[] = [];
  let held: (() => void)[] | null = null;
  let authentications = 0;

  function answer(apiKey: number, version: number, body: Buffer): object {
    switch (apiKey) {
      case ApiVersions.key:
        return { errorCode: 0, apiKeys: APIS.map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion })), throttleTimeMs: 0 };
      case SaslHandshake.key:
        return { errorCode: 0, mechanisms: ['PLAIN'] };
      case SaslAuthenticate.key: {
        const [, user, password] = decodeRequestBody(SaslAuthenticate, version, body).authBytes.toString().split('\0');
        authentications++;
        const ok = user === opts.username && password === opts.password && authentications <= (opts.refuseAfter ?? Infinity);
        return ok
          ? { errorCode: 0, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: opts.lifetimeMs }
          : { errorCode: 58, errorMessage: 'Authentication failed: Invalid username or password', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 };
      }
      default:
        return { brokers: [], clusterId: 'fake', controllerId: -1, topics: [] };
    }
  }

  const server = await serve((socket) => {
    let buffered = Buffer.alloc(0);
    // One request at a time, in order: the next waits for the one before.
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(4 + frame.length);
        const apiKey = frame.readInt16BE(0);
        const version = frame.readInt16BE(2);
        const correlationId = frame.readInt32BE(4);
        const api = APIS.find((a) => a.key === apiKey) as Api<unknown, unknown>;
        received.push(api.name);
        // Header: api key, version, correlation id, client id (int16 length), then tagged fields when flexible.
        const bodyAt = 10 + Math.max(0, frame.readInt16BE(8)) + (version >= api.flexibleFrom ? 1 : 0);
        queue = queue.then(async () => {
          if (apiKey === Metadata.key && held) await new Promise<void>((r) => held?.push(r));
          const res = answer(apiKey, version, frame.subarray(bodyAt));
          socket.write(responseFrame(api, version, correlationId, res));
          if ((res as { errorCode?: number }).errorCode === 58) socket.end();
        });
      }
    });
  });
  return {
    ...server,
    received,
    holdMetadata: () => {
      held ??= [];
    },
    release: () => {
      const waiting = held ?? [];
      held = null;
      for (const r of waiting) r();
    },
  };
}
