// What the global setups hand the test files through vitest's provide /
// inject: the broker under test (global-setup.ts) and the python lz4 module
// (unit-global-setup.ts).

import type { PythonLz4 } from '../../scripts/tools/provision-tools.js';
import type { KafkaTestEnv } from './env.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: KafkaTestEnv;
    /** The test runner's process: brokers a test file starts for the whole run are tied to it (test/support/secure-broker.ts). */
    runnerPid: number;
    pythonLz4: PythonLz4;
  }
}
