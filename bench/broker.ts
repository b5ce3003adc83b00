// The broker a benchmark runs against: KAFKA_BROKERS, else the running local
// broker, else one started here and stopped when the benchmark ends.

import { isAlive, readState, startCluster, stopCluster } from '../scripts/kafka/broker.js';
import { kafkaVersion, provisionKafka } from '../scripts/kafka/provision.js';

export interface Broker {
  bootstrap: string;
  libsDir: string;
  /** The Kafka release whose jars run the Java producer. */
  version: string;
  description: string;
  stop(): Promise<void>;
}

/** KAFKA_BROKERS, else the running local broker, else one started here (and stopped at the end). */
export async function broker(): Promise<Broker> {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    const { libsDir, version } = provisionKafka(kafkaVersion());
    return { bootstrap: external, libsDir, version, description: `cluster at ${external} (KAFKA_BROKERS); Java tools ${version}`, stop: async () => {} };
  }
  const running = readState('single');
  if (running && running.nodes.every((n) => isAlive(n.pid))) {
    return { bootstrap: running.bootstrap, libsDir: running.libsDir, version: running.version, description: `${running.version}, one broker on ${running.bootstrap}`, stop: async () => {} };
  }
  process.stderr.write('bench: starting a local Kafka broker\n');
  const state = await startCluster({ name: 'single', ownerPid: process.pid });
  return {
    bootstrap: state.bootstrap,
    libsDir: state.libsDir,
    version: state.version,
    description: `${state.version}, one broker on ${state.bootstrap}`,
    stop: async () => void (await stopCluster('single')),
  };
}
