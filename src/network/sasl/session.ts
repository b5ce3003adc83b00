// What the producer's `sasl` option holds, and one authentication exchange
// of a mechanism as the connection drives it: a first message, then an
// answer to each server message until the mechanism is satisfied. A session
// is used once: re-authentication (KIP-368) starts a new one.

import { oauthBearerSession } from './oauthbearer.js';
import { plainSession } from './plain.js';
import { scramSession } from './scram.js';

/** An OAuth 2 bearer token and its SASL extensions (RFC 7628), as the token provider returns it. */
export interface OAuthBearerToken {
  /** The token itself, e.g. a JWT. */
  value: string;
  /** Extension keys are letters only (not "auth"); values are printable ASCII. */
  extensions?: Record<string, string>;
}

/** SASL authentication: a username and password (PLAIN, SCRAM), or a token provider (OAUTHBEARER). */
export type SaslOptions =
  | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  | {
      mechanism: 'oauthbearer';
      /** Called for every authentication, re-authentications included: return a fresh token. */
      token: () => Promise<OAuthBearerToken>;
    };

export type SaslMechanismName = SaslOptions['mechanism'];

export const SASL_MECHANISMS: readonly SaslMechanismName[] = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'];

export interface SaslSession {
  /** As the broker names it, e.g. SCRAM-SHA-256. */
  readonly mechanism: string;
  /** Secrets this session holds (password, token): masked in anything the broker says back. */
  readonly secrets: readonly string[];
  first(): Promise<Buffer>;
  /** The answer to a server message; null once the exchange is complete on our side. Throws (an Error whose message is safe to show) when the server's message is wrong. */
  next(server: Buffer): Promise<Buffer | null>;
}

export function createSession(options: SaslOptions): SaslSession {
  switch (options.mechanism) {
    case 'plain':
      return plainSession(options.username, options.password);
    case 'scram-sha-256':
    case 'scram-sha-512':
      return scramSession(options.mechanism, options.username, options.password);
    case 'oauthbearer':
      return oauthBearerSession(options.token);
  }
}
