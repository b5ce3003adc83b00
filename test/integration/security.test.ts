// SASL and TLS against a real broker with those listeners (its own, on
// ports 29092-29099: test/support/secure-broker.ts): every SASL mechanism,
// TLS with the broker's certificate and host name verified, mutual TLS and
// SASL over TLS produce records that kcat reads back; refused credentials
// and certificates give one AuthenticationError and no reconnection loop;
// sessions are renewed before the broker's connections.max.reauth.ms ends
// them (KIP-368); and no password or token reaches an error, a diagnostics
// event or the logger.
//
// kcat reads SCRAM-produced records over the PLAIN listener: the librdkafka
// in Debian 12's kcat (2.0.2) sends a SCRAM client-final nonce that Kafka 4's
// strict RFC 5802 check refuses (librdkafka fixed it in 2.6.1).

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { AuthenticationError, CHANNELS, KafkaProducer, type ConnectionEvent, type ProducerOptions } from 'kafka-producer-ts';
import { fakeLogger, recorder, stopRecording, traceRecorder } from '../support/diagnostics-recorders.js';
import { createTopic, kcatConsume, uniqueTopic } from '../support/kafka-tools.js';
import { PORTS, REAUTH_SESSION_MS, startSecureBroker, USERS, type SecureBroker } from '../support/secure-broker.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const env = inject('kafka');
const SASL_HANDSHAKE = 17;

/** An unsecured JWT (alg "none"), which the broker's default OAUTHBEARER validator takes while `exp` is ahead. */
function unsecuredJwt(sub: string, ttlSeconds: number): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none' })}.${part({ sub, iat: now, exp: now + ttlSeconds })}.`;
}

/** Everything a producer can tell the outside world: every diagnostics channel and the logger. */
function recordEverything(): { logger: ReturnType<typeof fakeLogger>['logger']; seen: unknown[] } {
  const seen: unknown[] = [];
  for (const name of Object.values(CHANNELS)) seen.push(name === CHANNELS.send || name === CHANNELS.produce ? traceRecorder(name) : recorder(name));
  const { logger, calls } = fakeLogger();
  seen.push(calls);
  return { logger, seen };
}

/** Every field, message, stack and cause, as text. */
function allText(things: unknown): string {
  return inspect(things, { depth: 40, showHidden: true, maxArrayLength: null, maxStringLength: null, breakLength: Infinity });
}

function expectNoSecrets(things: unknown, secrets: readonly string[]): void {
  const text = allText(things);
  for (const secret of secrets) expect(text.includes(secret), `a secret appears in: ${text.slice(0, 2000)}`).toBe(false);
}

async function produce(options: ProducerOptions, topic: string, values: readonly string[]): Promise<void> {
  const producer = new KafkaProducer(options);
  try {
    for (const value of values) await producer.send({ topic, value });
  } finally {
    await producer.close();
  }
}

describe.skipIf(env.libsDir === null)('security: SASL and TLS against a real broker', () => {
  let broker: SecureBroker;
  let topic: string;
  /** kcat's settings for each listener it reads from. */
  let kcat: Record<'sasl' | 'oauth' | 'ssl' | 'mtls' | 'saslSsl', Record<string, string>>;
  const plainLogin = { 'sasl.mechanism': 'PLAIN', 'sasl.username': USERS.plain.username, 'sasl.password': USERS.plain.password };

  beforeAll(async () => {
    broker = await startSecureBroker(env.version, inject('runnerPid'));
    topic = uniqueTopic('security');
    await createTopic(broker.plaintext, topic, 1);
    const ssl = { 'security.protocol': 'SSL', 'ssl.ca.location': broker.tls.caFile };
    kcat = {
      sasl: { 'security.protocol': 'SASL_PLAINTEXT', ...plainLogin },
      oauth: { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'OAUTHBEARER', 'enable.sasl.oauthbearer.unsecure.jwt': 'true', 'sasl.oauthbearer.config': 'principal=kcat' },
      ssl,
      mtls: { ...ssl, 'ssl.certificate.location': broker.tls.clientCertFile, 'ssl.key.location': broker.tls.clientKeyFile },
      saslSsl: { 'security.protocol': 'SASL_SSL', 'ssl.ca.location': broker.tls.caFile, ...plainLogin },
    };
  }, 240_000);

  afterEach(() => stopRecording());

  /** Produces three records and reads them back with kcat over `via`; no secret reaches diagnostics or the logger. */
  async function roundTrip(name: string, options: Omit<ProducerOptions, 'logger'>, bootstrap: string, via: keyof typeof kcat, secrets: readonly string[]): Promise<void> {
    const { logger, seen } = recordEverything();
    const values = [0, 1, 2].map((i) => `${name}-${i}-${randomBytes(4).toString('hex')}`);
    await produce({ ...options, logger }, topic, values);
    const read = await kcatConsume(via === 'sasl' || via === 'oauth' ? broker.sasl : bootstrap, topic, undefined, 'read_uncommitted', kcat[via]);
    expect(read.map((m) => m.payload).filter((v) => v?.startsWith(`${name}-`))).toEqual(values);
    expect(seen.some((s) => Array.isArray(s) && s.length > 0)).toBe(true);
    expectNoSecrets(seen, secrets);
  }

  it.each([
    ['plain', true],
    ['scram-sha-256', false],
    ['scram-sha-512', true],
  ] as const)('SASL/%s (worker: %s): records produced are read back by kcat', async (mechanism, worker) => {
    const user = mechanism === 'plain' ? USERS.plain : USERS.scram;
    await roundTrip(mechanism, { bootstrapServers: broker.sasl, worker, sasl: { mechanism, ...user } }, broker.sasl, 'sasl', [user.password]);
  });

  it.each([true, false])('SASL/OAUTHBEARER (worker: %s): the token provider on the main thread feeds every connection', async (worker) => {
    const tokens: string[] = [];
    const token = async () => {
      const value = unsecuredJwt('producer', 600);
      tokens.push(value);
      return { value, extensions: { traceId: 'abc123' } };
    };
    await roundTrip(`oauth-${worker}`, { bootstrapServers: broker.sasl, worker, sasl: { mechanism: 'oauthbearer', token } }, broker.sasl, 'oauth', tokens);
    // The bootstrap connection and the leader's: one token each.
    expect(tokens.length).toBeGreaterThanOrEqual(2);
  });

  it('TLS: the broker certificate and host name are verified with the given CA (as bytes, copied to the worker)', async () => {
    await roundTrip('tls', { bootstrapServers: broker.ssl, ssl: { ca: readFileSync(broker.tls.caFile) } }, broker.ssl, 'ssl', []);
  });

  it('mutual TLS: the broker requires and accepts our client certificate (worker: false)', async () => {
    const { ca, clientCert: cert, clientKey: key } = broker.tls;
    await roundTrip('mtls', { bootstrapServers: broker.mtls, worker: false, ssl: { ca, cert, key } }, broker.mtls, 'mtls', [key]);
  });

  it('SASL/SCRAM-SHA-512 over TLS', async () => {
    const sasl = { mechanism: 'scram-sha-512', ...USERS.scram } as const;
    await roundTrip('sasl-ssl', { bootstrapServers: broker.saslSsl, ssl: { ca: broker.tls.ca }, sasl }, broker.saslSsl, 'saslSsl', [USERS.scram.password]);
  });

  describe.each([true, false])('refusals (worker: %s)', (worker) => {
    let proxy: TcpProxy | null = null;

    afterEach(async () => {
      await proxy?.close();
      proxy = null;
    });

    /**
     * Sends three records to a producer the broker refuses; each fails with
     * the same AuthenticationError, the producer reports it once, and no
     * second connection is tried, although the backoff would allow dozens.
     */
    async function refused(options: Omit<ProducerOptions, 'bootstrapServers' | 'logger' | 'worker'>, upstreamPort: number, secrets: readonly string[]): Promise<AuthenticationError> {
      proxy = await TcpProxy.start({ upstreamPort });
      const { logger, seen } = recordEverything();
      const errors = recorder<ConnectionEvent>(CHANNELS.connectionError);
      const producer = new KafkaProducer({ ...options, bootstrapServers: proxy.address, worker, logger, retryBackoffMs: 20, retryBackoffMaxMs: 50, maxBlockMs: 20_000 });
      const fatal: Error[] = [];
      producer.on('fatalError', (err) => fatal.push(err));
      const results = await Promise.allSettled([0, 1, 2].map((i) => producer.send({ topic, value: `refused-${i}` })));
      // Long enough for 10 reconnections at this backoff, were there a loop.
      await new Promise((r) => setTimeout(r, 500));
      const later = await producer.send({ topic, value: 'after' }).then(
        () => null,
        (err: unknown) => err,
      );
      await producer.close();

      const reasons = results.map((r) => (r.status === 'rejected' ? (r.reason as unknown) : r.value));
      for (const reason of [...reasons, later]) expect(reason).toBeInstanceOf(AuthenticationError);
      const err = reasons[0] as AuthenticationError;
      expect(err.code).toBe('KPT_ERR_AUTHENTICATION');
      expect(err.retriable).toBe(false);
      expect(proxy.stats.accepted).toBe(1);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.error).toBeInstanceOf(AuthenticationError);
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toBeInstanceOf(AuthenticationError);
      // The errors themselves are part of what must hold no secret.
      seen.push(reasons, later, fatal);
      expect(allText(seen)).toContain(err.message);
      expectNoSecrets(seen, secrets);
      return err;
    }

    it('a wrong SCRAM password: one AuthenticationError, one connection, no secret anywhere', async () => {
      const wrong = `wrong-pw-${randomBytes(4).toString('hex')}`;
      const err = await refused({ sasl: { mechanism: 'scram-sha-256', username: USERS.scram.username, password: wrong } }, PORTS.sasl, [wrong, USERS.scram.password]);
      expect(err.mechanism).toBe('SCRAM-SHA-256');
      expect(err.message).toMatch(/SASL SCRAM-SHA-256 authentication failed: .*invalid credentials/);
    });

    it('a wrong PLAIN password', async () => {
      const wrong = `wrong-pw-${randomBytes(4).toString('hex')}`;
      const err = await refused({ sasl: { mechanism: 'plain', username: USERS.plain.username, password: wrong } }, PORTS.sasl, [wrong, USERS.plain.password]);
      expect(err.mechanism).toBe('PLAIN');
    });

    it('an expired OAUTHBEARER token', async () => {
      const expired = unsecuredJwt('producer', -60);
      const err = await refused({ sasl: { mechanism: 'oauthbearer', token: async () => ({ value: expired }) } }, PORTS.sasl, [expired]);
      expect(err.mechanism).toBe('OAUTHBEARER');
      expect(err.message).toContain('invalid_token');
    });

    it('a transactional producer: initTransactions() fails with the AuthenticationError, not after maxBlockMs', async () => {
      proxy = await TcpProxy.start({ upstreamPort: PORTS.sasl });
      const sasl = { mechanism: 'scram-sha-512', username: USERS.scram.username, password: 'not-the-password' } as const;
      const producer = new KafkaProducer({ bootstrapServers: proxy.address, worker, transactionalId: uniqueTopic('tx'), sasl, retryBackoffMs: 20, retryBackoffMaxMs: 50, maxBlockMs: 20_000 });
      const err = await producer.initTransactions().catch((e: unknown) => e);
      await producer.close();
      expect(err).toBeInstanceOf(AuthenticationError);
      expect(proxy.stats.accepted).toBe(1);
    });

    it('a certificate for another host name fails the host-name check', async () => {
      const err = await refused({ ssl: { ca: broker.tls.ca } }, PORTS.wrongName, []);
      expect(err.mechanism).toBe('TLS');
      expect(err.message).toMatch(/TLS handshake failed: Hostname\/IP does not match certificate's altnames: .* \(the certificate is for DNS:wrong-host.invalid\)/);
    });

    it("the broker's certificate is verified by default: ssl: true does not trust the test CA", async () => {
      const err = await refused({ ssl: true }, PORTS.ssl, []);
      expect(err.message).toMatch(/TLS handshake failed: unable to verify the first certificate/);
    });

    it('mutual TLS without a client certificate: the broker refuses the handshake', async () => {
      const err = await refused({ ssl: { ca: broker.tls.ca } }, PORTS.mtls, []);
      expect(err.mechanism).toBe('TLS');
      expect(err.message).toMatch(/TLS handshake failed: .*alert/);
    });
  });

  it('servername names the host the certificate must be for', async () => {
    await roundTrip('servername', { bootstrapServers: broker.wrongName, ssl: { ca: broker.tls.ca, servername: 'wrong-host.invalid' } }, broker.ssl, 'ssl', []);
  });

  describe('re-authentication (KIP-368)', () => {
    let proxy: TcpProxy;

    beforeAll(async () => {
      // The REAUTH listener advertises the proxy's port: every connection of the producers goes through it.
      proxy = await TcpProxy.start({ port: PORTS.reauthProxy, upstreamPort: PORTS.reauth });
    });

    afterAll(async () => {
      await proxy.close();
    });

    it('sessions are renewed on open connections before the broker ends them, with requests in flight', async () => {
      const closed = recorder<ConnectionEvent>(CHANNELS.connectionClose);
      const failed = recorder<ConnectionEvent>(CHANNELS.connectionError);
      const tokens: string[] = [];
      const producers = [
        new KafkaProducer({ bootstrapServers: proxy.address, worker: false, lingerMs: 0, sasl: { mechanism: 'scram-sha-256', ...USERS.scram } }),
        new KafkaProducer({
          bootstrapServers: proxy.address,
          lingerMs: 0,
          sasl: {
            mechanism: 'oauthbearer',
            token: async () => {
              tokens.push(unsecuredJwt('producer', 600));
              return { value: tokens.at(-1) as string };
            },
          },
        }),
      ];
      const prefix = `reauth-${randomBytes(4).toString('hex')}`;
      const sends: PromiseLike<unknown>[] = [];
      // Past two session lifetimes, records going all the while (several per turn, so some are in flight when a renewal starts).
      const until = Date.now() + 2.4 * REAUTH_SESSION_MS;
      let n = 0;
      while (Date.now() < until) {
        for (const p of producers) for (let i = 0; i < 5; i++) sends.push(p.send({ topic, value: `${prefix}-${n++}` }));
        await new Promise((r) => setTimeout(r, 20));
      }
      const results = await Promise.allSettled(sends);
      await Promise.all(producers.map((p) => p.close()));

      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      // Two connections per producer (bootstrap, leader), never lost: the broker would close a connection whose session ended.
      expect(proxy.stats.accepted).toBe(4);
      expect(closed.filter((e) => e.error !== null)).toEqual([]);
      expect(failed).toEqual([]);
      // One SaslHandshake per authentication: each leader connection authenticated at least twice more.
      expect(proxy.stats.requestsByApiKey.get(SASL_HANDSHAKE)).toBeGreaterThanOrEqual(proxy.stats.accepted + 4);
      expect(tokens.length).toBeGreaterThanOrEqual(2 + 2);
      const read = await kcatConsume(broker.sasl, topic, undefined, 'read_uncommitted', kcat.sasl);
      expect(read.filter((m) => m.payload?.startsWith(`${prefix}-`))).toHaveLength(n);
    });
  });
});
