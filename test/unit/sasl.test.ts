// SASL without a broker: the mechanisms' bytes (SCRAM-SHA-256 against
// RFC 7677's example exchange), what they refuse from a server, the
// handshake and authenticate steps' errors with secrets masked, and the
// connection's re-authentication (KIP-368) against a scripted listener:
// requests made meanwhile wait for it, one in flight before it is answered
// first, and a refused one closes the connection with an AuthenticationError.

import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticationError, UnsupportedVersionError } from '../../src/network/errors.js';
import { Connection } from '../../src/network/connection.js';
import { authenticate, type SaslTransport } from '../../src/network/sasl/authenticate.js';
import { oauthBearerSession } from '../../src/network/sasl/oauthbearer.js';
import { plainSession } from '../../src/network/sasl/plain.js';
import { scramSession } from '../../src/network/sasl/scram.js';
import type { Api } from '../../src/protocol/api.js';
import { Metadata } from '../../src/protocol/apis/metadata.js';
import { SaslAuthenticate, SaslHandshake, type SaslAuthenticateResponse, type SaslHandshakeResponse } from '../../src/protocol/apis/sasl.js';
import { fakeSaslBroker, type FakeSaslBroker } from '../support/fake-sasl-broker.js';

const text = (b: Buffer | null) => b?.toString('utf8');

describe('SCRAM', () => {
  // RFC 7677 section 3: user "user", password "pencil".
  const nonce = 'rOprNGfwEbeRWgbNEkqO';
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';

  it("SCRAM-SHA-256 gives RFC 7677's client messages and accepts its server signature", async () => {
    const s = scramSession('scram-sha-256', 'user', 'pencil', nonce);
    expect(s.mechanism).toBe('SCRAM-SHA-256');
    expect(text(await s.first())).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    expect(text(await s.next(Buffer.from(serverFirst)))).toBe('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(await s.next(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).toBeNull();
  });

  it("refuses a server signature that does not prove the password, and a server's error", async () => {
    for (const [final, reason] of [
      ['v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', /signature is wrong/],
      ['e=invalid-proof', /the server refused: invalid-proof/],
    ] as const) {
      const s = scramSession('scram-sha-256', 'user', 'pencil', nonce);
      await s.first();
      await s.next(Buffer.from(serverFirst));
      await expect(s.next(Buffer.from(final))).rejects.toThrow(reason);
    }
  });

  it('refuses a server-first whose nonce is not ours extended, or with fewer than 4096 iterations', async () => {
    for (const [first, reason] of [
      ['r=someoneElsesNonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096', /nonce does not extend/],
      [`r=${nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`, /nonce does not extend/],
      [`r=${nonce}xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1024`, /1024 iterations; at least 4096/],
      [`m=ext,r=${nonce}xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`, /mandatory SCRAM extension/],
    ] as const) {
      const s = scramSession('scram-sha-512', 'user', 'pencil', nonce);
      await s.first();
      await expect(s.next(Buffer.from(first))).rejects.toThrow(reason);
    }
  });

  it("escapes ',' and '=' in the user name (RFC 5802 saslname)", async () => {
    expect(text(await scramSession('scram-sha-512', 'a,b=c', 'pw', 'n0nce').first())).toBe('n,,n=a=2Cb=3Dc,r=n0nce');
  });
});

describe('PLAIN and OAUTHBEARER messages', () => {
  it('PLAIN is one message: empty authorization id, user, password', async () => {
    const s = plainSession('alice', 'pässword');
    expect(await s.first()).toEqual(Buffer.from('\0alice\0pässword', 'utf8'));
    expect(await s.next(Buffer.alloc(0))).toBeNull();
  });

  it('OAUTHBEARER sends the token and extensions (RFC 7628), and acknowledges an error with ^A', async () => {
    const s = oauthBearerSession(async () => ({ value: 'eyJ.abc-_.', extensions: { traceId: 'x 1', env: 'test' } }));
    expect(text(await s.first())).toBe('n,,\x01auth=Bearer eyJ.abc-_.\x01traceId=x 1\x01env=test\x01\x01');
    expect(s.secrets).toEqual(['eyJ.abc-_.']);
    expect(await s.next(Buffer.alloc(0))).toBeNull();
    const refused = oauthBearerSession(async () => ({ value: 'tok' }));
    await refused.first();
    expect(text(await refused.next(Buffer.from('{"status":"invalid_token"}')))).toBe('\x01');
    await expect(refused.next(Buffer.from('{"status":"invalid_token"}'))).rejects.toThrow(/refused the token: \{"status":"invalid_token"\}/);
  });

  it("refuses what the provider gives that the broker could not parse, without quoting the token", async () => {
    for (const [token, reason] of [
      [{ value: 'has space' }, /characters a bearer token cannot hold/],
      [{ value: 'ok', extensions: { auth: 'x' } }, /extension "auth": keys are letters only/],
      [{ value: 'ok', extensions: { 'trace-id': 'x' } }, /extension "trace-id"/],
      [{ value: 'ok', extensions: { k: 'é' } }, /extension "k" with a value that is not printable ASCII/],
      ['a bare string', /must resolve to \{ value: string, extensions\? \}/],
    ] as const) {
      const s = oauthBearerSession(async () => token as never);
      const err = await s.first().then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(reason);
      expect(err?.message).not.toContain('has space');
    }
  });

  it("a provider that throws fails the session with its error as the cause", async () => {
    const cause = new Error('identity provider unreachable');
    const s = oauthBearerSession(async () => {
      throw cause;
    });
    await expect(s.first()).rejects.toMatchObject({ message: 'the OAUTHBEARER token provider failed: identity provider unreachable', cause });
  });
});

describe('authenticate(): handshake and authenticate steps', () => {
  /** A broker's answers, scripted; records the mechanism asked for. */
  function transport(handshake: Partial<SaslHandshakeResponse>, authenticate: Partial<SaslAuthenticateResponse>[], versions: { handshake?: number } = {}): SaslTransport & { asked: unknown[] } {
    const asked: unknown[] = [];
    return {
      asked,
      broker: '127.0.0.1:9 (node 1)',
      versionFor: (api) => (api.key === SaslHandshake.key ? (versions.handshake ?? 1) : 2),
      call: async <Req, Res>(api: Api<Req, Res>, body: Req) => {
        asked.push(body);
        if (api.key === SaslHandshake.key) return { errorCode: 0, mechanisms: ['PLAIN'], ...handshake } as Res;
        return { errorCode: 0, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0, ...authenticate.shift() } as Res;
      },
    };
  }

  it('returns the session lifetime the broker gave', async () => {
    const t = transport({}, [{ sessionLifetimeMs: 3_600_000 }]);
    expect(await authenticate({ mechanism: 'plain', username: 'u', password: 'p' }, t)).toBe(3_600_000);
    expect(t.asked).toEqual([{ mechanism: 'PLAIN' }, { authBytes: Buffer.from('\0u\0p') }]);
  });

  it("a mechanism the listener does not enable: the error lists the ones it does", async () => {
    const err = await authenticate({ mechanism: 'scram-sha-512', username: 'u', password: 'p' }, transport({ errorCode: 33, mechanisms: ['PLAIN', 'OAUTHBEARER'] }, [])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({
      mechanism: 'SCRAM-SHA-512',
      retriable: false,
      message: "SASL SCRAM-SHA-512 authentication failed: the broker's listener does not enable SCRAM-SHA-512; it enables PLAIN, OAUTHBEARER [broker 127.0.0.1:9 (node 1)]",
    });
  });

  it('a refusal shows what the broker said, with the password masked', async () => {
    const t = transport({}, [{ errorCode: 58, errorMessage: 'Authentication failed for password s3cret!' }]);
    const err = (await authenticate({ mechanism: 'plain', username: 'u', password: 's3cret!' }, t).catch((e: unknown) => e)) as AuthenticationError;
    expect(err.message).toBe('SASL PLAIN authentication failed: Authentication failed for password [redacted] [broker 127.0.0.1:9 (node 1)]');
    expect(JSON.stringify({ m: err.message, c: (err.cause as Error).message })).not.toContain('s3cret!');
  });

  it('a broker with SaslHandshake v0 only (before Kafka 1.0) is not spoken to', async () => {
    const err = await authenticate({ mechanism: 'plain', username: 'u', password: 'p' }, transport({}, [], { handshake: 0 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedVersionError);
  });
});

describe('re-authentication on a connection (KIP-368)', () => {
  let fake: FakeSaslBroker | null = null;
  let conn: Connection | null = null;

  afterEach(async () => {
    await conn?.close();
    await fake?.close();
    conn = null;
    fake = null;
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const metadata = (c: Connection) => c.request(Metadata, { topics: [], allowAutoTopicCreation: false });

  async function open(lifetimeMs: number, refuseAfter?: number): Promise<Connection> {
    fake = await fakeSaslBroker({ username: 'u', password: 'pw', lifetimeMs, refuseAfter });
    conn = await Connection.connect({ host: '127.0.0.1', port: fake.port, sasl: { mechanism: 'plain', username: 'u', password: 'pw' } });
    return conn;
  }

  it('a request made once the session is due waits for the renewal; the one in flight before it is answered first', async () => {
    const c = await open(100);
    fake?.holdMetadata();
    const first = metadata(c);
    // Past 95% of the session: the next request renews it first.
    await sleep(150);
    const second = metadata(c);
    const third = metadata(c);
    await sleep(50);
    // Written: the first and the SaslHandshake; held: the second and third.
    expect(c.inFlight).toBe(2 + 2);
    expect(fake?.received).toEqual(['ApiVersions', 'SaslHandshake', 'SaslAuthenticate', 'Metadata', 'SaslHandshake']);
    fake?.release();
    await expect(Promise.all([first, second, third])).resolves.toHaveLength(3);
    expect(fake?.received).toEqual(['ApiVersions', 'SaslHandshake', 'SaslAuthenticate', 'Metadata', 'SaslHandshake', 'SaslAuthenticate', 'Metadata', 'Metadata']);
  });

  it('without a session lifetime there is no renewal', async () => {
    const c = await open(0);
    await sleep(20);
    await metadata(c);
    expect(fake?.received).toEqual(['ApiVersions', 'SaslHandshake', 'SaslAuthenticate', 'Metadata']);
  });

  it('a refused renewal fails the held request with the AuthenticationError and closes the connection', async () => {
    const c = await open(100, 1);
    await sleep(150);
    const err = await metadata(c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).message).toMatch(/^SASL PLAIN authentication failed: Authentication failed: Invalid username or password/);
    expect(c.closed).toBe(true);
  });
});
