// What the global setup hands every test file about the broker under test.

export interface KafkaTestEnv {
  bootstrap: string;
  /** Kafka's jars (for DumpLogSegments and the console consumer); null for an external cluster. */
  libsDir: string | null;
  /** The brokers' log.dirs; empty when the broker's files are not on this machine. */
  logDirs: string[];
  version: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: KafkaTestEnv;
  }
}
