// The `ssl` and `sasl` options: their checks (ConfigErrors that name the
// option and never quote a password, key or passphrase, only say what kind
// of value it was) and the form `sasl` takes on its way to the sender. An
// OAUTHBEARER token provider is a function, which cannot cross to a worker
// thread: the sender asks the producer's thread for each token instead.

import net from 'node:net';
import { ConfigError } from './errors.js';
import { SASL_MECHANISMS, type SaslOptions } from './network/sasl/session.js';
import { TLS_OPTION_NAMES, type TlsOptions } from './network/tls.js';

/** `sasl` as it crosses to the sender: OAUTHBEARER without its token provider. */
export type SenderSasl = Exclude<SaslOptions, { mechanism: 'oauthbearer' }> | { mechanism: 'oauthbearer' };

/** What a value is, never what it says. */
function kind(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

const isPem = (v: unknown): boolean => typeof v === 'string' || v instanceof Uint8Array;
/** ca, cert, crl: PEM text or bytes, or a list of them. */
const isPemOrList = (v: unknown): boolean => isPem(v) || (Array.isArray(v) && v.every(isPem));
/** key and pfx may also list { pem | buf, passphrase } objects, as tls.createSecureContext takes them. */
const isKeyOrList = (field: 'pem' | 'buf') => (v: unknown): boolean =>
  isPemOrList(v) || (Array.isArray(v) && v.every((k) => isPem(k) || (typeof k === 'object' && k !== null && isPem((k as Record<string, unknown>)[field]))));

const TLS_CHECKS: Record<(typeof TLS_OPTION_NAMES)[number], [test: (v: unknown) => boolean, expected: string]> = {
  ca: [isPemOrList, 'PEM text or bytes, or a list of them'],
  cert: [isPemOrList, 'PEM text or bytes, or a list of them'],
  key: [isKeyOrList('pem'), 'PEM text or bytes, or a list of them or of { pem, passphrase }'],
  pfx: [isKeyOrList('buf'), 'PKCS#12 bytes, or a list of them or of { buf, passphrase }'],
  crl: [isPemOrList, 'PEM text or bytes, or a list of them'],
  passphrase: [(v) => typeof v === 'string', 'a string'],
  servername: [(v) => typeof v === 'string' && v !== '' && net.isIP(v) === 0, 'a host name (not an IP address: TLS does not send those as SNI)'],
  rejectUnauthorized: [(v) => typeof v === 'boolean', 'true or false'],
  minVersion: [(v) => typeof v === 'string', "a TLS version such as 'TLSv1.2'"],
  maxVersion: [(v) => typeof v === 'string', "a TLS version such as 'TLSv1.3'"],
  ciphers: [(v) => typeof v === 'string', 'an OpenSSL cipher list'],
};

export function checkSsl(name: string, v: unknown): void {
  if (typeof v === 'boolean') return;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ConfigError(name, `must be true (TLS, the system's CAs), false, or TLS options { ca, cert, key, servername, rejectUnauthorized, ... }, got ${kind(v)}`);
  }
  for (const [key, value] of Object.entries(v)) {
    const check = TLS_CHECKS[key as keyof typeof TLS_CHECKS] as (typeof TLS_CHECKS)[keyof typeof TLS_CHECKS] | undefined;
    if (!check) throw new ConfigError(`${name}.${key}`, `is not a TLS option the producer takes (it takes ${TLS_OPTION_NAMES.join(', ')}: plain data, which can reach the sender's thread)`);
    if (value !== undefined && !check[0](value)) throw new ConfigError(`${name}.${key}`, `must be ${check[1]}, got ${kind(value)}`);
  }
}

export function checkSasl(name: string, v: unknown): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ConfigError(name, `must be { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512', username, password } or { mechanism: 'oauthbearer', token }, got ${kind(v)}`);
  }
  const o = v as Record<string, unknown>;
  const mechanism = o.mechanism;
  if (!SASL_MECHANISMS.includes(mechanism as SaslOptions['mechanism'])) {
    const given = typeof mechanism === 'string' ? JSON.stringify(mechanism) : kind(mechanism);
    throw new ConfigError(`${name}.mechanism`, `must be one of ${SASL_MECHANISMS.map((m) => `'${m}'`).join(', ')} (lower case), got ${given}`);
  }
  const fields = mechanism === 'oauthbearer' ? ['mechanism', 'token'] : ['mechanism', 'username', 'password'];
  for (const key of Object.keys(o)) {
    if (!fields.includes(key)) throw new ConfigError(`${name}.${key}`, `is not an option of SASL ${String(mechanism)} (it takes ${fields.join(', ')})`);
  }
  if (mechanism === 'oauthbearer') {
    if (typeof o.token !== 'function') throw new ConfigError(`${name}.token`, `must be a function () => Promise<{ value, extensions? }>, got ${kind(o.token)}`);
    return;
  }
  for (const key of ['username', 'password']) {
    if (typeof o[key] !== 'string' || o[key] === '') throw new ConfigError(`${name}.${key}`, `must be a non-empty string, got ${o[key] === '' ? 'an empty string' : kind(o[key])}`);
  }
}

export function senderSasl(sasl: SaslOptions | null): SenderSasl | null {
  if (sasl?.mechanism === 'oauthbearer') return { mechanism: 'oauthbearer' };
  return sasl;
}

export type { SaslOptions, TlsOptions };
