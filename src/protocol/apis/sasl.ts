// SaslHandshake (key 17, never flexible) picks the mechanism; then
// SaslAuthenticate (key 36, flexible from v2) carries the mechanism's tokens.
// A failure is 58 SASL_AUTHENTICATION_FAILED and the broker closes the socket.

import { defineApi } from '../api.js';
import { array, field, struct } from '../schema.js';

export interface SaslHandshakeRequest {
  mechanism: string;
}

export interface SaslHandshakeResponse {
  errorCode: number;
  mechanisms: string[];
}

export const SaslHandshake = defineApi<SaslHandshakeRequest, SaslHandshakeResponse>({
  key: 17,
  name: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: Infinity,
  request: struct(field('mechanism', 'string', '0+')),
  response: struct(field('errorCode', 'int16', '0+'), field('mechanisms', array('string'), '0+')),
});

export interface SaslAuthenticateRequest {
  authBytes: Uint8Array;
}

export interface SaslAuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  sessionLifetimeMs: number;
}

export const SaslAuthenticate = defineApi<SaslAuthenticateRequest, SaslAuthenticateResponse>({
  key: 36,
  name: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  request: struct(field('authBytes', 'bytes', '0+')),
  response: struct(
    field('errorCode', 'int16', '0+'),
    field('errorMessage', 'string', '0+', { nullable: '0+' }),
    field('authBytes', 'bytes', '0+'),
    field('sessionLifetimeMs', 'int64', '1+', { default: 0 }),
  ),
});
