// Vitest global setup of the integration project: kcat on PATH (installed
// first if need be, scripts/tools/provision-tools.ts), then the broker every
// integration test talks to.
// - KAFKA_BROKERS=host:port,... uses an existing cluster (no local log files,
//   so the DumpLogSegments checks are skipped with a reason).
// - KAFKA_TESTCONTAINERS=1 starts apache/kafka with testcontainers (needs a
//   Docker engine).
// - otherwise the project's own script starts one KRaft broker on 127.0.0.1,
//   watched so that it dies with this process however the run ends.
// The security tests' broker is started by the first test file that needs
// it and stopped here when the run ends.

import type { TestProject } from 'vitest/node';
import { readState, startCluster, stopCluster, isAlive } from '../../scripts/kafka/broker.js';
import { provisionKcat } from '../../scripts/tools/provision-tools.js';
import type { KafkaTestEnv } from './env.js';
import { stopSecureBroker } from './secure-broker.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  project.provide('runnerPid', process.pid);
  const teardown = await startBroker(project);
  return async () => {
    await stopSecureBroker(process.pid);
    await teardown();
  };
}

async function startBroker(project: TestProject): Promise<() => Promise<void>> {
  provisionKcat();
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    project.provide('kafka', { bootstrap: external, libsDir: null, logDirs: [], version: 'external' } satisfies KafkaTestEnv);
    return async () => {};
  }
  if (process.env.KAFKA_TESTCONTAINERS === '1') return startWithTestcontainers(project);

  const before = readState('single');
  const reused = before !== null && before.nodes.every((n) => isAlive(n.pid));
  const started = performance.now();
  const state = await startCluster({ name: 'single', ownerPid: process.pid });
  if (!reused) {
    process.stderr.write(
      `kafka: Apache Kafka ${state.version} ready at ${state.bootstrap} in ${((performance.now() - started) / 1000).toFixed(1)} s (JVM start to Metadata ${state.startSeconds.toFixed(1)} s)\n`,
    );
  }
  project.provide('kafka', {
    bootstrap: state.bootstrap,
    libsDir: state.libsDir,
    logDirs: state.nodes.map((n) => n.logDir),
    version: state.version,
  } satisfies KafkaTestEnv);
  // A broker started with `npm run kafka:start` before the tests is left running.
  return async () => {
    if (!reused) await stopCluster('single');
  };
}

async function startWithTestcontainers(project: TestProject): Promise<() => Promise<void>> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const image = process.env.KAFKA_IMAGE ?? 'apache/kafka:4.1.0';
  const container = await new GenericContainer(image)
    .withExposedPorts({ container: 9092, host: 9092 })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:9092',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  project.provide('kafka', { bootstrap: '127.0.0.1:9092', libsDir: null, logDirs: [], version: image } satisfies KafkaTestEnv);
  return async () => {
    await container.stop();
  };
}
