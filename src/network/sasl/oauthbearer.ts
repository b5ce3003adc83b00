// SASL/OAUTHBEARER (RFC 7628, KIP-255): the client's first message carries
// a bearer token from the user's provider, "n,,^Aauth=Bearer <token>^A
// <key>=<value>^A...^A^A" (^A is 0x01). The broker answers empty when it
// takes the token; when it does not, it answers a JSON error, which the
// client acknowledges with a lone ^A, and the broker then fails the exchange
// with an error code (RFC 7628 section 3.2.3).

import type { OAuthBearerToken, SaslSession } from './session.js';

const SEPARATOR = '\x01';
/** RFC 6750 b64token: what may follow "Bearer ". */
const TOKEN = /^[-._~+/A-Za-z0-9]+=*$/;
/** RFC 7628 section 3.1: key = 1*(ALPHA), value = *(VCHAR / SP / HTAB / CR / LF). */
const EXTENSION_KEY = /^[A-Za-z]+$/;
const EXTENSION_VALUE = /^[\x21-\x7E \t\r\n]+$/;

/** Checks what the provider returned; messages never quote the token. */
function checkToken(t: unknown): OAuthBearerToken {
  const token = t as OAuthBearerToken | null;
  if (typeof token?.value !== 'string' || token.value === '') throw new Error('the token provider must resolve to { value: string, extensions? }');
  if (!TOKEN.test(token.value)) throw new Error('the token provider returned a value with characters a bearer token cannot hold (RFC 6750 b64token)');
  for (const [key, value] of Object.entries(token.extensions ?? {})) {
    if (!EXTENSION_KEY.test(key) || key === 'auth') throw new Error(`the token provider returned extension "${key}": keys are letters only, and not "auth"`);
    if (typeof value !== 'string' || !EXTENSION_VALUE.test(value)) throw new Error(`the token provider returned extension "${key}" with a value that is not printable ASCII`);
  }
  return token;
}

export function oauthBearerSession(provider: () => Promise<OAuthBearerToken>): SaslSession {
  const secrets: string[] = [];
  let refused = false;
  return {
    mechanism: 'OAUTHBEARER',
    secrets,
    first: async () => {
      let token: OAuthBearerToken;
      try {
        token = checkToken(await provider());
      } catch (err) {
        throw new Error(`the OAUTHBEARER token provider failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      }
      secrets.push(token.value);
      const extensions = Object.entries(token.extensions ?? {}).map(([k, v]) => `${SEPARATOR}${k}=${v}`);
      return Buffer.from(`n,,${SEPARATOR}auth=Bearer ${token.value}${extensions.join('')}${SEPARATOR}${SEPARATOR}`, 'utf8');
    },
    next: async (server) => {
      if (server.length === 0) return null;
      // The broker's JSON error ({"status":"invalid_token",...}); the error code it sends next says the rest.
      if (refused) throw new Error(`the broker refused the token: ${server.toString('utf8')}`);
      refused = true;
      return Buffer.from(SEPARATOR, 'utf8');
    },
  };
}
