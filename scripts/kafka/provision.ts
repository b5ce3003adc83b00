// Resolves Apache Kafka's broker and tools jars from Maven Central with the
// project's pom (scripts/kafka/pom.xml) into a cache outside the repository,
// once per version. A marker file is written last, so an interrupted download
// is redone rather than trusted.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The newest 4.x release whose broker and tools jars are both on Maven Central. */
export const DEFAULT_KAFKA_VERSION = '4.3.1';

export function kafkaVersion(): string {
  return process.env.KAFKA_VERSION?.trim() || DEFAULT_KAFKA_VERSION;
}

export function cacheDir(): string {
  return process.env.KAFKA_PRODUCER_TS_CACHE ?? path.join(os.homedir(), '.cache', 'kafka-producer-ts');
}

/** scripts/kafka/pom.xml, found from this file whether it runs from source or from dist/. */
function pomPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'scripts', 'kafka', 'pom.xml');
    if (existsSync(candidate)) return candidate;
    const here = path.join(dir, 'pom.xml');
    if (existsSync(here) && path.basename(dir) === 'kafka') return here;
    dir = path.dirname(dir);
  }
  throw new Error('scripts/kafka/pom.xml not found: run from a checkout of kafka-producer-ts');
}

export interface Provisioned {
  version: string;
  libsDir: string;
  /** Whether this call downloaded anything. */
  downloaded: boolean;
  seconds: number;
}

/** The jars for `version`, downloading them with Maven when they are not cached yet. */
export function provisionKafka(version = kafkaVersion()): Provisioned {
  const started = performance.now();
  const home = path.join(cacheDir(), `kafka-${version}`);
  const libsDir = path.join(home, 'libs');
  const marker = path.join(home, '.complete');
  if (existsSync(marker)) return { version, libsDir, downloaded: false, seconds: 0 };
  rmSync(libsDir, { recursive: true, force: true });
  mkdirSync(libsDir, { recursive: true });
  process.stderr.write(`kafka: resolving Apache Kafka ${version} jars with Maven into ${libsDir}\n`);
  const args = [
    '-B',
    '-q',
    '-f',
    pomPath(),
    '-Dmaven.wagon.http.retryHandler.count=5',
    `-Dkafka.version=${version}`,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${libsDir}`,
    '-DincludeScope=runtime',
  ];
  const res = spawnSync('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (res.error) throw new Error(`kafka: could not run mvn (is Maven installed?): ${res.error.message}`);
  if (res.status !== 0) {
    throw new Error(`kafka: mvn failed with exit code ${res.status} resolving Kafka ${version}:\n${res.stdout}${res.stderr}`);
  }
  const jars = readdirSync(libsDir).filter((f) => f.endsWith('.jar'));
  if (!jars.some((j) => j.startsWith('kafka_2.13-'))) throw new Error(`kafka: Maven finished but no kafka_2.13 jar is in ${libsDir}`);
  writeFileSync(marker, `${jars.length} jars\n`);
  return { version, libsDir, downloaded: true, seconds: (performance.now() - started) / 1000 };
}
