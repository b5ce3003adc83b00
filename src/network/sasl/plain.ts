// SASL/PLAIN (RFC 4616): one message, "authzid NUL username NUL password",
// with the authorization id left empty (the broker then uses the username).
// The broker's answer to it is empty; a refusal comes as an error code.

import type { SaslSession } from './session.js';

export function plainSession(username: string, password: string): SaslSession {
  return {
    mechanism: 'PLAIN',
    secrets: [password],
    first: async () => Buffer.from(`\0${username}\0${password}`, 'utf8'),
    next: async () => null,
  };
}
