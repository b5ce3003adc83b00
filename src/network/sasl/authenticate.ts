// One SASL authentication on a connection: SaslHandshake v1 names the
// mechanism, then SaslAuthenticate requests carry the mechanism's messages
// until it is satisfied. The same steps re-authenticate an open connection
// (KIP-368). Every failure is an AuthenticationError naming the broker and
// the mechanism; what the broker says is shown with the session's secrets
// masked, so no password or token reaches an error, a log or a diagnostics
// event.

import { KafkaResponseError } from '../../protocol/errors.js';
import { SaslAuthenticate, SaslHandshake } from '../../protocol/apis/sasl.js';
import type { Api } from '../../protocol/api.js';
import { AuthenticationError, ConnectionError, UnsupportedVersionError } from '../errors.js';
import { createSession, type SaslOptions } from './session.js';

const UNSUPPORTED_SASL_MECHANISM = 33;

export interface SaslTransport {
  /** "host:port (node N)", for errors. */
  broker: string;
  versionFor(api: Api<unknown, unknown>): number;
  /** Sends one request ahead of anything held back, and resolves with its response. */
  call<Req, Res>(api: Api<Req, Res>, body: Req, version: number): Promise<Res>;
}

/** Masks each secret wherever it appears in text the broker sent. */
function masked(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s !== '') out = out.replaceAll(s, '[redacted]');
  return out;
}

/**
 * Authenticates, and resolves with the session lifetime the broker gave (ms;
 * 0 when it does not expire sessions, or before SaslAuthenticate v1).
 */
export async function authenticate(options: SaslOptions, t: SaslTransport): Promise<number> {
  const session = createSession(options);
  const fail = (message: string, cause?: unknown) => new AuthenticationError(t.broker, session.mechanism, `SASL ${session.mechanism} authentication failed: ${masked(message, session.secrets)}`, cause);

  // v0 of SaslHandshake means raw SASL tokens on the socket, without SaslAuthenticate: not spoken here.
  const handshakeVersion = t.versionFor(SaslHandshake);
  if (handshakeVersion < 1) throw new UnsupportedVersionError(t.broker, 'the broker supports only SaslHandshake v0 (Kafka before 1.0); SASL needs v1');
  const authenticateVersion = t.versionFor(SaslAuthenticate);

  const handshake = await t.call(SaslHandshake, { mechanism: session.mechanism }, handshakeVersion);
  if (handshake.errorCode === UNSUPPORTED_SASL_MECHANISM) {
    throw fail(`the broker's listener does not enable ${session.mechanism}; it enables ${handshake.mechanisms.join(', ') || 'none'}`);
  }
  if (handshake.errorCode !== 0) throw fail('the broker refused the SaslHandshake', new KafkaResponseError(handshake.errorCode, `SaslHandshake from ${t.broker}`));

  let message = await step(() => session.first(), fail);
  for (;;) {
    const res = await t.call(SaslAuthenticate, { authBytes: message }, authenticateVersion);
    if (res.errorCode !== 0) {
      const said = res.errorMessage ? masked(res.errorMessage, session.secrets) : null;
      throw fail(said ?? 'the broker refused the credentials', new KafkaResponseError(res.errorCode, `SaslAuthenticate from ${t.broker}`, said));
    }
    const next = await step(() => session.next(res.authBytes), fail);
    if (next === null) return res.sessionLifetimeMs;
    message = next;
  }
}

/** A mechanism's step; its failures (a wrong server message, the token provider) become AuthenticationErrors. */
async function step<T>(run: () => Promise<T>, fail: (message: string, cause?: unknown) => AuthenticationError): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ConnectionError) throw err;
    const e = err as Error;
    throw fail(e.message, e.cause ?? undefined);
  }
}
