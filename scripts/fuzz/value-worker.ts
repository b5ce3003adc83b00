// A worker thread running the value cases (cli.ts starts it): the answer
// checks, then the producers and coordinator lookups on the fake cluster.
// Before each case it notes in shared memory which one it is on (cell 0 the
// part, 1 the case), so that the main thread can name the case if a producer
// blocks this thread; an exception no case caught is a failure of the case
// it happened in, and the cases after it still run. Failures are posted as
// they happen, the counts at the end.

import { parentPort, workerData } from 'node:worker_threads';
import { loadFixtures } from './fixtures.js';
import { emptyValueReport, runCheckCase, runCoordinatorCase, runProducerCase, VALUE_PARTS, type ValueReport } from './values.js';

export interface ValueWorkerData {
  seed: number;
  checkCases: number;
  valueCases: number;
  progress: SharedArrayBuffer;
}

const data = workerData as ValueWorkerData;
const cells = new Int32Array(data.progress);
const fixtures = loadFixtures();
const report: ValueReport = emptyValueReport();

function at(part: number, index: number): void {
  Atomics.store(cells, 0, part);
  Atomics.store(cells, 1, index);
}

function uncaught(what: string, err: unknown): void {
  const part = VALUE_PARTS[Atomics.load(cells, 0)] ?? 'producer';
  const index = Atomics.load(cells, 1);
  report.failureCount++;
  if (report.failures.length < 20) report.failures.push({ index, part, reason: `${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` });
}
process.on('uncaughtException', (err) => uncaught('uncaught exception', err));
process.on('unhandledRejection', (err) => uncaught('unhandled rejection', err));

/** Failures go to the main thread as they happen: a later case that blocks this thread for good must not take them along. */
let posted = 0;
function flush(): void {
  if (report.failures.length > posted) parentPort?.postMessage({ t: 'failures', failures: report.failures.slice(posted) });
  posted = report.failures.length;
}

for (let i = 0; i < data.checkCases; i++) {
  at(0, i);
  runCheckCase(fixtures, data.seed, i, report);
}
flush();
for (let i = 0; i < data.valueCases; i++) {
  at(1, i);
  await runProducerCase(data.seed, i, report);
  flush();
}
for (let i = 0; i < Math.ceil(data.valueCases / 4); i++) {
  at(2, i);
  await runCoordinatorCase(fixtures, data.seed, i, report);
  flush();
}
parentPort?.postMessage({ t: 'report', report: { ...report, failures: [] } });
