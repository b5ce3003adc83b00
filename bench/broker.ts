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
  /** The brokers' log directories where this machine runs them (none for KAFKA_BROKERS): where the bench reads what a topic holds on disk. */
  logDirs: string[];
  stop(): Promise<void>;
}

/**
 * Every run deletes its topic. Kafka removes a deleted topic's files a
 * minute later by default, which lands in the middle of some later run, a
 * different peer's each time; and on a virtual machine that hands freed
 * memory back to its host, the broker writes into recently freed pages far
 * faster than into fresh ones (200 MB: 0.05 s against 0.57 s of kernel time
 * on the bench machine), so that one run got a faster broker. Removing the
 * files at once gives every run the same start: its predecessor's files
 * just freed.
 */
const BENCH_BROKER = { 'log.segment.delete.delay.ms': '100' };

/** KAFKA_BROKERS, else the running local broker, else one started here (and stopped at the end). */
export async function broker(): Promise<Broker> {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    const { libsDir, version } = provisionKafka(kafkaVersion());
    return { bootstrap: external, libsDir, version, description: `cluster at ${external} (KAFKA_BROKERS); Java tools ${version}`, logDirs: [], stop: async () => {} };
  }
  const running = readState('single');
  if (running && running.nodes.every((n) => isAlive(n.pid))) {
    return {
      bootstrap: running.bootstrap,
      libsDir: running.libsDir,
      version: running.version,
      description: `${running.version}, one broker on ${running.bootstrap}`,
      logDirs: running.nodes.map((n) => n.logDir),
      stop: async () => {},
    };
  }
  process.stderr.write('bench: starting a local Kafka broker\n');
  const state = await startCluster({ name: 'single', ownerPid: process.pid, overrides: BENCH_BROKER });
  return {
    bootstrap: state.bootstrap,
    libsDir: state.libsDir,
    version: state.version,
    description: `${state.version}, one broker on ${state.bootstrap}, started by the bench (a deleted topic's files go after 100 ms: log.segment.delete.delay.ms=100)`,
    logDirs: state.nodes.map((n) => n.logDir),
    stop: async () => void (await stopCluster('single')),
  };
}
