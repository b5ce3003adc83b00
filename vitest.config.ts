import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests import the package by name and get the built files: the sender's
    // worker thread runs dist/src/sender/worker-entry.js, which vitest's
    // TypeScript transform cannot serve to a worker. The subpath comes first:
    // an alias also matches every name that starts with it and a '/'.
    alias: {
      'kafka-producer-ts/protocol': fileURLToPath(new URL('./dist/src/protocol/index.js', import.meta.url)),
      'kafka-producer-ts/kafkajs': fileURLToPath(new URL('./dist/src/kafkajs/index.js', import.meta.url)),
      'kafka-producer-ts': fileURLToPath(new URL('./dist/src/index.js', import.meta.url)),
    },
  },
  test: {
    // Files run one after another: one broker serves every integration file,
    // and DumpLogSegments and kcat then see a quiet broker.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 240_000,
    reporters: ['default', 'junit'],
    outputFile: { junit: 'test-results/junit.xml' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], globalSetup: ['test/support/unit-global-setup.ts'] } },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], globalSetup: ['test/support/global-setup.ts'] },
      },
    ],
  },
});
