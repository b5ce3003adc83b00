// What the integration global setup (global-setup.ts) hands the test files:
// the broker under test. Vitest's typing of it is in provided-context.ts, apart,
// so that scripts built without vitest (test/chaos) can use this type.

export interface KafkaTestEnv {
  bootstrap: string;
  /** Kafka's jars (for DumpLogSegments and the console consumer); null for an external cluster. */
  libsDir: string | null;
  /** The brokers' log.dirs; empty when the broker's files are not on this machine. */
  logDirs: string[];
  version: string;
}
