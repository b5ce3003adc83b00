// TLS for broker connections. The options are the data-only part of Node's
// tls.connect options (they cross to the sender's worker thread by
// structured clone, so no functions or SecureContext objects). The broker's
// certificate is verified, host name included, unless rejectUnauthorized is
// false: as Java's ssl.endpoint.identification.algorithm=https, the default
// since Kafka 2.0. A handshake failure is an AuthenticationError, not a
// retriable connection error: trying again meets the same certificate.

import net from 'node:net';
import type tls from 'node:tls';

export const TLS_OPTION_NAMES = ['ca', 'cert', 'key', 'passphrase', 'pfx', 'servername', 'rejectUnauthorized', 'minVersion', 'maxVersion', 'ciphers', 'crl'] as const;

/** `ssl` as the producer takes it when not just `true` (the system's CAs). */
export type TlsOptions = Pick<tls.ConnectionOptions, (typeof TLS_OPTION_NAMES)[number]>;

/**
 * tls.connect options for one broker. SNI names the broker's host unless
 * `servername` is given (an IP address is never sent as SNI); the host-name
 * check uses the same name.
 */
export function tlsConnectOptions(options: TlsOptions, host: string): tls.ConnectionOptions {
  const servername = options.servername ?? (net.isIP(host) === 0 ? host : undefined);
  return { ...options, rejectUnauthorized: options.rejectUnauthorized ?? true, ...(servername === undefined ? {} : { servername }) };
}

/**
 * Whether a socket error is TLS refusing the peer: a certificate check
 * (Node names these by OpenSSL's reason, e.g. DEPTH_ZERO_SELF_SIGNED_CERT,
 * or ERR_TLS_CERT_ALTNAME_INVALID) or a TLS alert or handshake error
 * (ERR_SSL_*), as opposed to a network errno (ECONNRESET, EAI_AGAIN) or
 * another Node error (ERR_STREAM_*).
 */
export function isTlsFailure(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string') return false;
  if (/^ERR_(SSL|TLS)_/.test(code)) return true;
  return !code.startsWith('ERR_') && !/^E[A-Z0-9_]+$/.test(code);
}
