import { defineConfig } from 'vitest/config';

// The unit tests Stryker runs (npm run mutate, stryker.config.mjs): those
// that import the mutated files from src/ directly. The others import the
// package by name, which vitest.config.ts aliases to the built dist/ (the
// worker host needs built files): Stryker mutates src/ in its sandbox and
// would never reach them, so they are left out, and so is sender-rules'
// worker-thread host (SENDER_HOSTS), which runs dist/ on its thread.
export default defineConfig({
  test: {
    include: [
      'test/unit/accumulator.test.ts',
      'test/unit/config.test.ts',
      'test/unit/security-config.test.ts',
      'test/unit/partitioners.test.ts',
      'test/unit/checksums.test.ts',
      'test/unit/record-batch.test.ts',
      'test/unit/primitives.test.ts',
      'test/unit/sender-parts.test.ts',
      'test/unit/sender-policy.test.ts',
      'test/unit/sender-rules.test.ts',
      'test/unit/transaction-manager.test.ts',
      'test/unit/transactions.test.ts',
      'test/unit/waiting-sends.test.ts',
      'test/unit/worker-order.test.ts',
      'test/unit/wire-judge.test.ts',
      'test/unit/varint.test.ts',
    ],
    env: { SENDER_HOSTS: 'main,port' },
    testTimeout: 60_000,
  },
});
