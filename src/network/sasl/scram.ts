// SASL/SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) with Node's
// crypto. Three steps:
//   client-first  "n,,n=<user>,r=<client nonce>"
//   server-first  "r=<client nonce + server nonce>,s=<salt>,i=<iterations>"
//   client-final  "c=biws,r=<that nonce>,p=<proof>"
// and the server-final "v=<server signature>", which is checked: a server
// that does not know the password cannot forge it. The password never leaves
// this file except through HMACs of it. The server-first is refused when its
// nonce does not extend ours or its iteration count is below 4096 (the
// least Kafka itself stores), so a forged server cannot make the proof cheap
// to attack.

import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { SaslSession } from './session.js';

const pbkdf2Async = promisify(pbkdf2);

const HASHES = {
  'scram-sha-256': { name: 'SCRAM-SHA-256', digest: 'sha256', bytes: 32 },
  'scram-sha-512': { name: 'SCRAM-SHA-512', digest: 'sha512', bytes: 64 },
} as const;

const MIN_ITERATIONS = 4096;
/** base64("n,,"): the GS2 header of client-first, no channel binding. */
const CHANNEL_BINDING = 'biws';

/** RFC 5802 saslname: ',' and '=' escaped. */
function saslName(username: string): string {
  return username.replaceAll('=', '=3D').replaceAll(',', '=2C');
}

/** "a=1,b=2" to a map; a value may itself hold '=' (base64). */
function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) throw new Error(`malformed SCRAM message attribute "${part.slice(0, 16)}"`);
    out.set(part[0] as string, part.slice(2));
  }
  return out;
}

/** `nonce`: tests give RFC 7677's; otherwise 24 random bytes in base64 (no ',' in it). */
export function scramSession(mechanism: 'scram-sha-256' | 'scram-sha-512', username: string, password: string, nonce = randomBytes(24).toString('base64')): SaslSession {
  const hash = HASHES[mechanism];
  const clientFirstBare = `n=${saslName(username)},r=${nonce}`;
  let expectedServerSignature: Buffer | null = null;
  const hmac = (key: Buffer, data: string) => createHmac(hash.digest, key).update(data, 'utf8').digest();

  async function clientFinal(serverFirst: string): Promise<Buffer> {
    const attrs = attributes(serverFirst);
    if (attrs.has('e')) throw new Error(`the server refused: ${attrs.get('e')}`);
    if (attrs.has('m')) throw new Error('the server asks for a mandatory SCRAM extension this client does not know');
    const serverNonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (!serverNonce || !serverNonce.startsWith(nonce) || serverNonce.length === nonce.length) throw new Error("the server's nonce does not extend the client's");
    if (!salt) throw new Error('the server sent no salt');
    if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS) throw new Error(`the server asks for ${attrs.get('i')} iterations; at least ${MIN_ITERATIONS} are required`);
    const saltedPassword = await pbkdf2Async(Buffer.from(password, 'utf8'), Buffer.from(salt, 'base64'), iterations, hash.bytes, hash.digest);
    const withoutProof = `c=${CHANNEL_BINDING},r=${serverNonce}`;
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const clientKey = hmac(saltedPassword, 'Client Key');
    const storedKey = createHash(hash.digest).update(clientKey).digest();
    const clientSignature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = (clientKey[i] as number) ^ (clientSignature[i] as number);
    expectedServerSignature = hmac(hmac(saltedPassword, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  function checkServerFinal(serverFinal: string): void {
    const attrs = attributes(serverFinal);
    if (attrs.has('e')) throw new Error(`the server refused: ${attrs.get('e')}`);
    const signature = Buffer.from(attrs.get('v') ?? '', 'base64');
    const expected = expectedServerSignature as Buffer;
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new Error("the server's signature is wrong: it does not know the password (an impostor?)");
    }
  }

  return {
    mechanism: hash.name,
    secrets: [password],
    first: async () => Buffer.from(`n,,${clientFirstBare}`, 'utf8'),
    next: async (server) => {
      if (expectedServerSignature === null) return clientFinal(server.toString('utf8'));
      checkServerFinal(server.toString('utf8'));
      return null;
    },
  };
}
