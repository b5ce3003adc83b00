// The ssl and sasl options: ConfigErrors that name the option and never
// quote a secret, and the form that crosses to the sender's worker thread
// (plain data: an OAUTHBEARER token provider stays behind).

import { describe, expect, it } from 'vitest';
import { resolveConfig, senderConfig, type ProducerOptions } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const base = { bootstrapServers: '127.0.0.1:9093' };

function configError(options: Record<string, unknown>): ConfigError {
  try {
    resolveConfig({ ...base, ...options } as ProducerOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('no ConfigError');
}

describe('ssl', () => {
  it('true, false, or TLS options; host-name checks stay on unless rejectUnauthorized is false', () => {
    expect(resolveConfig({ ...base, ssl: true }).ssl).toBe(true);
    expect(resolveConfig({ ...base, ssl: false }).ssl).toBeNull();
    expect(resolveConfig(base).ssl).toBeNull();
    const ca = Buffer.from('-----BEGIN CERTIFICATE-----');
    expect(resolveConfig({ ...base, ssl: { ca: [ca], servername: 'kafka.internal' } }).ssl).toEqual({ ca: [ca], servername: 'kafka.internal' });
  });

  it.each([
    [{ checkServerIdentity: () => undefined }, 'ssl.checkServerIdentity', /is not a TLS option the producer takes/],
    [{ ca: 42 }, 'ssl.ca', /must be PEM text or bytes, or a list of them, got a number/],
    [{ servername: '10.0.0.1' }, 'ssl.servername', /not an IP address/],
    [{ rejectUnauthorized: 'no' }, 'ssl.rejectUnauthorized', /must be true or false, got a string/],
    ['yes', 'ssl', /must be true .* false, or TLS options/],
  ])('%j: a ConfigError naming %s', (ssl, option, message) => {
    const err = configError({ ssl });
    expect(err.option).toBe(option);
    expect(err.message).toMatch(message);
  });

  it('a key or passphrase of the wrong type is described, never quoted', () => {
    for (const ssl of [{ passphrase: 1234567 }, { key: { pem: 'SECRET-KEY-PEM' } }]) {
      const err = configError({ ssl });
      expect(err.message).not.toMatch(/1234567|SECRET-KEY-PEM/);
    }
  });
});

describe('sasl', () => {
  it.each([
    [{ mechanism: 'SCRAM-SHA-256', username: 'u', password: 'p' }, 'sasl.mechanism', /must be one of 'plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer' \(lower case\), got "SCRAM-SHA-256"/],
    [{ mechanism: 'plain', username: 'u' }, 'sasl.password', /must be a non-empty string, got undefined/],
    [{ mechanism: 'plain', username: '', password: 'p' }, 'sasl.username', /got an empty string/],
    [{ mechanism: 'plain', username: 'u', password: 'p', token: async () => ({ value: 't' }) }, 'sasl.token', /is not an option of SASL plain \(it takes mechanism, username, password\)/],
    [{ mechanism: 'oauthbearer', token: 'a-token' }, 'sasl.token', /must be a function/],
    ['plain', 'sasl', /must be \{ mechanism/],
  ])('%j: a ConfigError naming %s', (sasl, option, message) => {
    const err = configError({ sasl });
    expect(err.option).toBe(option);
    expect(err.message).toMatch(message);
  });

  it('a password of the wrong type is described, never quoted', () => {
    const err = configError({ sasl: { mechanism: 'scram-sha-512', username: 'u', password: 98765432 } });
    expect(err.message).toBe('option sasl.password: must be a non-empty string, got a number');
  });

  it('crosses to the sender as plain data: OAUTHBEARER without its token provider', () => {
    const token = async () => ({ value: 't' });
    const oauth = senderConfig(resolveConfig({ ...base, sasl: { mechanism: 'oauthbearer', token } }));
    expect(oauth.sasl).toEqual({ mechanism: 'oauthbearer' });
    expect(() => structuredClone(oauth)).not.toThrow();
    const scram = senderConfig(resolveConfig({ ...base, ssl: { ca: 'PEM' }, sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' } }));
    expect(structuredClone(scram)).toMatchObject({ ssl: { ca: 'PEM' }, sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' } });
  });
});
