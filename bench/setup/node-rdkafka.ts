// node-rdkafka for the bench, installed into its own directory in the cache
// (its own package.json), never into the project's dependencies: npm ci and
// npm test must not build librdkafka. Its install script compiles librdkafka
// from source (about 80 s on 2 cores) with the Debian -dev packages below.
// npm may skip install scripts (npm 12 does unless package.json allows
// them), so success is judged by loading the native module, not by npm's
// exit code. One directory per version and Node ABI; a marker is written last.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheDir } from '../../scripts/kafka/provision.js';
import { ensureDebianPackages } from './debian.js';

export const NODE_RDKAFKA_VERSION = '3.6.1';

/** What librdkafka's configure picks up when present: TLS, the codecs, SASL; and the compilers. */
const BUILD_PACKAGES = ['g++', 'make', 'libssl-dev', 'zlib1g-dev', 'libzstd-dev', 'liblz4-dev', 'libsasl2-dev'];
const INSTALL_TIMEOUT_MS = 15 * 60_000;

export interface NodeRdkafka {
  /** The directory whose node_modules holds node-rdkafka: a runner resolves it from here. */
  dir: string;
  /** "node-rdkafka 3.6.1, librdkafka 2.x.y". */
  version: string;
}

/** Loads node-rdkafka in a child process; its librdkafka version, or the error. */
function probe(dir: string): { librdkafka: string } | { error: string } {
  const script = "const k = require('node-rdkafka'); process.stdout.write(k.librdkafkaVersion)";
  const res = spawnSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
  if (res.status === 0 && res.stdout) return { librdkafka: res.stdout.trim() };
  return { error: (res.error?.message ?? res.stderr).trim().split('\n').slice(0, 3).join(' / ') };
}

function logTail(log: string): string {
  try {
    return readFileSync(log, 'utf8').trim().split('\n').slice(-6).join(' / ');
  } catch {
    return 'no log';
  }
}

/** npm with its output appended to `log`; its exit status (null if it did not start or timed out). */
function npm(args: string[], dir: string, log: string): number | null {
  const fd = openSync(log, 'a');
  try {
    return spawnSync('npm', args, { cwd: dir, stdio: ['ignore', fd, fd], timeout: INSTALL_TIMEOUT_MS }).status;
  } finally {
    closeSync(fd);
  }
}

/** node-rdkafka, installed and built once; throws an Error saying what failed. */
export function provisionNodeRdkafka(): NodeRdkafka {
  const dir = path.join(cacheDir(), `node-rdkafka-${NODE_RDKAFKA_VERSION}-node-abi${process.versions.modules}`);
  const marker = path.join(dir, '.complete');
  const log = path.join(dir, 'install.log');
  if (existsSync(marker)) {
    const loaded = probe(dir);
    if ('librdkafka' in loaded) return { dir, version: `node-rdkafka ${NODE_RDKAFKA_VERSION}, librdkafka ${loaded.librdkafka}` };
  }
  ensureDebianPackages(BUILD_PACKAGES, 'node-rdkafka builds librdkafka from source');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const manifest = {
    name: 'kafka-producer-ts-bench-node-rdkafka',
    private: true,
    description: 'node-rdkafka for npm run bench of kafka-producer-ts, kept out of the project dependencies',
    dependencies: { 'node-rdkafka': NODE_RDKAFKA_VERSION },
    // npm 11.16+ lists install scripts not allowed here; npm 12 skips them, and node-rdkafka without its build is nothing.
    allowScripts: { [`node-rdkafka@${NODE_RDKAFKA_VERSION}`]: true },
  };
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stderr.write(`bench: installing node-rdkafka ${NODE_RDKAFKA_VERSION} into ${dir}; it builds librdkafka from source (about 80 s on 2 cores), log in ${log}\n`);
  const common = ['--foreground-scripts', '--ignore-scripts=false', '--no-audit', '--no-fund'];
  const status = npm(['install', ...common], dir, log);
  if (status !== 0) throw new Error(`npm install node-rdkafka@${NODE_RDKAFKA_VERSION} failed (exit ${status}): ${logTail(log)}; the whole log is ${log}`);
  let loaded = probe(dir);
  if (!('librdkafka' in loaded)) {
    // npm finished without building: its install script was skipped. Run it once more, explicitly.
    process.stderr.write(`bench: node-rdkafka does not load (${loaded.error}); running npm rebuild node-rdkafka\n`);
    npm(['rebuild', 'node-rdkafka', ...common], dir, log);
    loaded = probe(dir);
  }
  if (!('librdkafka' in loaded)) {
    throw new Error(`node-rdkafka ${NODE_RDKAFKA_VERSION} was installed but its native module did not build or load (${loaded.error}); the build log is ${log}`);
  }
  writeFileSync(marker, `node-rdkafka@${NODE_RDKAFKA_VERSION}, librdkafka ${loaded.librdkafka}\n`);
  return { dir, version: `node-rdkafka ${NODE_RDKAFKA_VERSION}, librdkafka ${loaded.librdkafka}` };
}
