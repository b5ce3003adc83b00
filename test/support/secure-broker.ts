// The security tests' own broker: one KRaft node on ports 29092-29099 (apart
// from the shared broker and the other tests' clusters), with a listener per
// case: SASL_PLAINTEXT (PLAIN, SCRAM-SHA-256/512, OAUTHBEARER with Kafka's
// unsecured JWT validator), SSL, SSL with client certificates required
// (MTLS), SASL_SSL, REAUTH (SASL_PLAINTEXT whose sessions last
// REAUTH_SESSION_MS, advertised on a proxy's port so a test can watch the
// re-authentications on the wire) and WRONGNAME (SSL with a certificate
// for another host name). Inter-broker and admin traffic stay on PLAINTEXT.
//
// The CA and certificates are made with openssl into the run directory, and
// SCRAM users are created by Kafka's own storage tool at format time; none
// of it is committed. The first test file that asks starts the broker; the
// integration global setup stops it when the run ends (it is tied to the
// runner's process, see `ownerPid`).

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isAlive, readState, runDir, startCluster, stopCluster, type ClusterState, type ExtraListener } from '../../scripts/kafka/broker.js';

export const SECURE_CLUSTER = 'secure';

export const PORTS = {
  plaintext: 29092,
  sasl: 29094,
  ssl: 29095,
  mtls: 29096,
  saslSsl: 29097,
  reauth: 29098,
  /** Where REAUTH is advertised: a test's proxy in front of `reauth`. */
  reauthProxy: 29198,
  wrongName: 29099,
} as const;

/** Session lifetime on the REAUTH listener (connections.max.reauth.ms). */
export const REAUTH_SESSION_MS = 2500;

/** Test credentials, distinctive so a test can look for them in errors and diagnostics. */
export const USERS = {
  plain: { username: 'plain-user', password: 'plain-pw-5c1e7a' },
  scram: { username: 'scram-user', password: 'scram-pw-9d02b4' },
} as const;

const SASL_LISTENERS = ['SASL_PLAINTEXT', 'SASL_SSL', 'REAUTH'];
const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

export interface TlsMaterial {
  /** PEM file paths. */
  caFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** The same, read. */
  ca: string;
  clientCert: string;
  clientKey: string;
}

export interface SecureBroker {
  state: ClusterState;
  tls: TlsMaterial;
  /** "127.0.0.1:port" of each listener. */
  plaintext: string;
  sasl: string;
  ssl: string;
  mtls: string;
  saslSsl: string;
  wrongName: string;
}

function tlsDir(): string {
  return runDir(`${SECURE_CLUSTER}-tls`);
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A key and a certificate signed by the test CA; `ext`: the certificate's X.509v3 extensions. */
function issue(dir: string, name: string, subject: string, ext: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`], dir);
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
  writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '7', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
}

/**
 * A test CA; a server certificate for localhost and 127.0.0.1; one for
 * another name (the host-name check must refuse it); a client certificate
 * for mutual TLS. The broker reads PEM key stores (KIP-651): key and chain
 * in one file.
 */
function makeTlsMaterial(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key'], dir);
  openssl(
    ['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=kafka-producer-ts test CA', '-days', '7', '-sha256', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', 'ca.pem'],
    dir,
  );
  const server = 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n';
  issue(dir, 'server', '/CN=localhost', `${server}subjectAltName=DNS:localhost,IP:127.0.0.1\n`);
  issue(dir, 'wrong', '/CN=wrong-host.invalid', `${server}subjectAltName=DNS:wrong-host.invalid\n`);
  issue(dir, 'client', '/CN=producer-client', 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n');
  for (const name of ['server', 'wrong']) {
    writeFileSync(path.join(dir, `${name}-store.pem`), readFileSync(path.join(dir, `${name}.key`), 'utf8') + readFileSync(path.join(dir, `${name}.pem`), 'utf8'));
  }
}

function tlsMaterial(dir: string): TlsMaterial {
  const caFile = path.join(dir, 'ca.pem');
  const clientCertFile = path.join(dir, 'client.pem');
  const clientKeyFile = path.join(dir, 'client.key');
  return {
    caFile,
    clientCertFile,
    clientKeyFile,
    ca: readFileSync(caFile, 'utf8'),
    clientCert: readFileSync(clientCertFile, 'utf8'),
    clientKey: readFileSync(clientKeyFile, 'utf8'),
  };
}

function brokerOverrides(dir: string): Record<string, string> {
  const props: Record<string, string> = {
    'sasl.enabled.mechanisms': MECHANISMS.join(','),
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': path.join(dir, 'server-store.pem'),
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': path.join(dir, 'ca.pem'),
    'listener.name.mtls.ssl.client.auth': 'required',
    'listener.name.wrongname.ssl.keystore.location': path.join(dir, 'wrong-store.pem'),
    'listener.name.reauth.connections.max.reauth.ms': String(REAUTH_SESSION_MS),
  };
  const jaas: Record<string, string> = {
    plain: `org.apache.kafka.common.security.plain.PlainLoginModule required user_${USERS.plain.username}="${USERS.plain.password}";`,
    'scram-sha-256': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'scram-sha-512': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    // No server callback handler configured: Kafka validates unsecured JWTs (alg "none") with a sub and an exp claim.
    oauthbearer: 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker";',
  };
  for (const listener of SASL_LISTENERS) {
    for (const [mechanism, config] of Object.entries(jaas)) props[`listener.name.${listener.toLowerCase()}.${mechanism}.sasl.jaas.config`] = config;
  }
  return props;
}

const LISTENERS: ExtraListener[] = [
  { name: 'SASL_PLAINTEXT', protocol: 'SASL_PLAINTEXT', port: PORTS.sasl },
  { name: 'SSL', protocol: 'SSL', port: PORTS.ssl },
  { name: 'MTLS', protocol: 'SSL', port: PORTS.mtls },
  { name: 'SASL_SSL', protocol: 'SASL_SSL', port: PORTS.saslSsl },
  { name: 'REAUTH', protocol: 'SASL_PLAINTEXT', port: PORTS.reauth, advertisedPort: PORTS.reauthProxy },
  { name: 'WRONGNAME', protocol: 'SSL', port: PORTS.wrongName },
];

/**
 * Starts the secured broker, or returns the one already running (started by
 * an earlier test file of this run: its TLS material is kept).
 */
export async function startSecureBroker(version: string, ownerPid: number): Promise<SecureBroker> {
  const dir = tlsDir();
  const running = readState(SECURE_CLUSTER);
  const reused = running !== null && running.nodes.every((n) => isAlive(n.pid)) && running.version === version;
  const started = performance.now();
  if (!reused) makeTlsMaterial(dir);
  const state = await startCluster({
    name: SECURE_CLUSTER,
    basePort: PORTS.plaintext,
    version,
    ownerPid,
    listeners: [LISTENERS],
    overrides: brokerOverrides(dir),
    formatArgs: ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${USERS.scram.username},password=${USERS.scram.password}]`]),
  });
  if (!reused) {
    process.stderr.write(`kafka: secured broker (SASL, TLS) Apache Kafka ${state.version} ready on ports ${PORTS.plaintext}-${PORTS.wrongName} in ${((performance.now() - started) / 1000).toFixed(1)} s (JVM start to Metadata ${state.startSeconds.toFixed(1)} s)\n`);
  }
  const at = (port: number) => `127.0.0.1:${port}`;
  return {
    state,
    tls: tlsMaterial(dir),
    plaintext: state.bootstrap,
    sasl: at(PORTS.sasl),
    ssl: at(PORTS.ssl),
    mtls: at(PORTS.mtls),
    saslSsl: at(PORTS.saslSsl),
    wrongName: at(PORTS.wrongName),
  };
}

/** Stops the secured broker if this process's run started it (the global setup's teardown). */
export async function stopSecureBroker(ownerPid: number): Promise<void> {
  const state = readState(SECURE_CLUSTER);
  if (state?.ownerPid !== ownerPid) return;
  await stopCluster(SECURE_CLUSTER);
  rmSync(tlsDir(), { recursive: true, force: true });
}
