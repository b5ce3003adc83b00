// Mutation testing of the producer's rules (npm run mutate; docs/mutation-testing.md):
// Stryker changes one thing at a time in the files below and runs the unit
// tests that cover it (vitest.mutate.config.ts: the tests that import src/
// directly). A mutant no test notices is a rule no test holds.
// One process: the machine running it may be shared; pass --concurrency to use more.

const MUTATED = ['src/sender/**/*.ts', 'src/accumulator/**/*.ts', 'src/partitioner/**/*.ts', 'src/protocol/record-batch.ts', 'src/protocol/varint.ts', 'src/config.ts', 'src/transactions.ts'];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  mutate: [...MUTATED, '!src/sender/worker-entry.ts'],
  // Only the mutated files get "// @ts-nocheck" (the default is every file: a test compares a generated file byte for byte).
  disableTypeChecks: `{${MUTATED.join(',')}}`,
  ignorePatterns: ['dist', 'test-results', 'reports', 'bench/results', '.kafka', 'coverage'],
  concurrency: 1,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
