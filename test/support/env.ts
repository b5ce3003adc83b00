// What the global setups hand the test files: the broker under test
// (global-setup.ts) and the python lz4 module (unit-global-setup.ts).

import type { PythonLz4 } from '../../scripts/tools/provision-tools.js';

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
    /** The test runner's process: brokers a test file starts for the whole run are tied to it (test/support/secure-broker.ts). */
    runnerPid: number;
    pythonLz4: PythonLz4;
  }
}
