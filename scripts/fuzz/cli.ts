// npm run fuzz: hostile bytes against every response decoder (1,000,000 cases
// by default, shared among worker threads) and against the connection's
// framing (10,000 connections), from the real responses recorded in
// test/fixtures/responses.json; then hostile VALUES in decoded answers
// (values.ts): 20,000 mutated recordings through the answer checks, and 300
// producers on the in-process fake cluster whose answers are mutated (with
// 75 coordinator lookups). Seeded: the same seed runs the same cases.
// Prints the cases per decoder, per mutation kind and per framing kind, and
// exits 1 on any failure: an error that is not the typed one, a case over
// its time or allocation bound, a worker that hangs or runs out of memory,
// an uncaught exception.
//
//   npm run fuzz -- --cases N --framing-cases N --check-cases N --value-cases N --seed S --workers N
//   npm run fuzz -- --seed S --replay N      one decoder case, in detail

import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { decodeResponse } from '../../src/protocol/api.js';
import { DecoderFuzz, DEFAULT_BOUNDS, emptyReport, mergeReports, type DecoderReport, type Tally } from './decoders.js';
import type { DecoderWorkerData } from './decoder-worker.js';
import { decoderName, fixturesPath, loadFixtures, PRODUCER_APIS, type ResponseFixture } from './fixtures.js';
import { FramingFuzz, type FramingReport } from './framing.js';
import { MUTATIONS } from './mutators.js';
import { VALUE_MUTATIONS } from './value-mutators.js';
import type { ValueWorkerData } from './value-worker.js';
import { emptyValueReport, VALUE_PARTS, type ValueReport } from './values.js';

interface Options {
  cases: number;
  framingCases: number;
  checkCases: number;
  /** Producers on the fake cluster; a quarter as many coordinator lookups. */
  valueCases: number;
  seed: number;
  workers: number;
  replay: number | null;
}

/** A worker whose current case has not changed for this long is stuck (a case's own bound is DEFAULT_BOUNDS.caseMs). */
const HANG_MS = 10_000;
/** Old generation per worker: a decoder that allocates by a hostile count dies here, and the case is named. */
const WORKER_HEAP_MB = 512;

function parseArgs(argv: string[]): Options {
  const opts: Options = { cases: 1_000_000, framingCases: 10_000, checkCases: 20_000, valueCases: 300, seed: 1, workers: Math.max(1, Math.min(4, os.availableParallelism())), replay: null };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a whole number, got ${value}`);
    if (flag === '--cases') opts.cases = n;
    else if (flag === '--framing-cases') opts.framingCases = n;
    else if (flag === '--check-cases') opts.checkCases = n;
    else if (flag === '--value-cases') opts.valueCases = n;
    else if (flag === '--seed') opts.seed = n;
    else if (flag === '--workers') opts.workers = Math.max(1, n);
    else if (flag === '--replay') opts.replay = n;
    else throw new Error(`unknown option ${flag} (use --cases, --framing-cases, --check-cases, --value-cases, --seed, --workers, --replay)`);
  }
  return opts;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** Decoder cases split among workers; a worker that hangs or dies is reported with the case it was on. */
async function runDecoders(opts: Options): Promise<{ report: DecoderReport; deaths: string[] }> {
  const report = emptyReport();
  const deaths: string[] = [];
  const progress = new SharedArrayBuffer(4 * opts.workers);
  const cells = new Int32Array(progress);
  const share = Math.ceil(opts.cases / opts.workers);
  const runs: Promise<void>[] = [];
  for (let w = 0; w < opts.workers; w++) {
    const from = w * share;
    const count = Math.max(0, Math.min(share, opts.cases - from));
    if (count === 0) continue;
    cells[w] = from;
    const data: DecoderWorkerData = { seed: opts.seed, from, count, bounds: DEFAULT_BOUNDS, progress, slot: w };
    runs.push(
      new Promise<void>((resolve) => {
        const worker = new Worker(new URL('./decoder-worker.js', import.meta.url), { workerData: data, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
        let last = from;
        let since = Date.now();
        const watchdog = setInterval(() => {
          const now = Atomics.load(cells, w);
          if (now !== last) {
            last = now;
            since = Date.now();
          } else if (Date.now() - since > HANG_MS) {
            deaths.push(`decoder case ${now}: no progress for ${HANG_MS} ms (a hang); replay it with --seed ${opts.seed} --replay ${now}`);
            void worker.terminate();
          }
        }, 1000);
        worker.on('message', (r: DecoderReport) => mergeReports(report, r));
        worker.on('error', (err) => deaths.push(`decoder case ${Atomics.load(cells, w)}: the worker died: ${err.message}; replay it with --seed ${opts.seed} --replay ${Atomics.load(cells, w)}`));
        worker.on('exit', () => {
          clearInterval(watchdog);
          resolve();
        });
      }),
    );
  }
  await Promise.all(runs);
  return { report, deaths };
}

function tallyRow(name: string, t: Tally, extra = ''): string {
  return `  ${name.padEnd(22)}${extra.padEnd(10)}${fmt(t.cases).padStart(10)}${fmt(t.decoded).padStart(10)}${fmt(t.rejected).padStart(10)}`;
}

function printDecoders(r: DecoderReport, fixtures: readonly ResponseFixture[]): void {
  console.log(`  ${'decoder'.padEnd(22)}${'versions'.padEnd(10)}${'cases'.padStart(10)}${'decoded'.padStart(10)}${'rejected'.padStart(10)}`);
  for (const api of PRODUCER_APIS) {
    const t = r.byApi[api.name];
    if (!t) continue;
    const vs = fixtures.filter((f) => f.api === api).map((f) => f.version);
    console.log(tallyRow(api.name, t, `${Math.min(...vs)}-${Math.max(...vs)}`));
  }
  console.log(`  ${'mutation'.padEnd(32)}${'cases'.padStart(10)}${'decoded'.padStart(10)}${'rejected'.padStart(10)}`);
  for (const name of MUTATIONS) {
    const t = r.byMutation[name];
    if (t) console.log(tallyRow(name, t));
  }
  console.log(
    `  slowest case ${r.slowestCaseMs.toFixed(1)} ms (bound ${DEFAULT_BOUNDS.caseMs} ms); largest allocation by a case ${fmt(Math.round(r.largestAllocation / 1024))} KiB (bound ${fmt(DEFAULT_BOUNDS.allocationBytes / 1024)} KiB)`,
  );
  for (const f of r.failures) console.log(`  FAILED case ${f.index} (${f.decoder}, ${f.mutation}): ${f.reason}\n    input ${f.input.slice(0, 512)}${f.input.length > 512 ? '...' : ''}`);
}

function printFraming(r: FramingReport): void {
  console.log(`  ${'kind'.padEnd(22)}${'cases'.padStart(10)}${'requests answered'.padStart(19)}${'failed typed'.padStart(14)}${'connect refused'.padStart(17)}`);
  for (const [name, t] of Object.entries(r.byKind)) {
    console.log(`  ${name.padEnd(22)}${fmt(t.cases).padStart(10)}${fmt(t.answered).padStart(19)}${fmt(t.failed).padStart(14)}${fmt(t.refusedAtConnect).padStart(17)}`);
  }
  console.log(`  slowest case ${r.slowestCaseMs.toFixed(1)} ms`);
  for (const f of r.failures) console.log(`  FAILED framing case ${f.index} (${f.kind}): ${f.reason}`);
}

function printValues(r: ValueReport): void {
  console.log(`  ${'mutation'.padEnd(32)}${'applied'.padStart(10)}${'refused'.padStart(10)}${'passed'.padStart(10)}`);
  for (const name of VALUE_MUTATIONS) {
    const t = r.byKind[name];
    if (t) console.log(`  ${name.padEnd(32)}${fmt(t.cases).padStart(10)}${fmt(t.refused).padStart(10)}${fmt(t.passed).padStart(10)}`);
  }
  console.log(`  ${fmt(r.sends)} sends; the slowest settled after ${fmt(r.slowestSettleMs)} ms of virtual time`);
  for (const f of r.failures) console.log(`  FAILED ${f.part} case ${f.index}: ${f.reason}`);
}

/** The value cases on a worker thread: a case that blocks it (a producer walking a huge sparse array) is named, not waited for. */
async function runValues(opts: Options): Promise<ValueReport> {
  const progress = new SharedArrayBuffer(8);
  const cells = new Int32Array(progress);
  const data: ValueWorkerData = { seed: opts.seed, checkCases: opts.checkCases, valueCases: opts.valueCases, progress };
  const where = () => `value ${VALUE_PARTS[Atomics.load(cells, 0)] ?? '?'} case ${Atomics.load(cells, 1)}`;
  let report: ValueReport | null = null;
  const failures: ValueReport['failures'] = [];
  const death = (reason: string) => failures.push({ index: Atomics.load(cells, 1), part: VALUE_PARTS[Atomics.load(cells, 0)] ?? 'producer', reason });
  await new Promise<void>((resolve) => {
    const worker = new Worker(new URL('./value-worker.js', import.meta.url), { workerData: data, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    let last = '';
    let since = Date.now();
    const done = () => {
      clearInterval(watchdog);
      resolve();
    };
    const watchdog = setInterval(() => {
      const now = `${Atomics.load(cells, 0)}:${Atomics.load(cells, 1)}`;
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since > HANG_MS) {
        death(`${where()}: no progress for ${HANG_MS} ms (a hang)`);
        // A thread stuck inside one builtin call would take minutes to terminate: unreferenced, it ends with the process.
        worker.unref();
        done();
      }
    }, 1000);
    worker.on('message', (m: { t: 'failures'; failures: ValueReport['failures'] } | { t: 'report'; report: ValueReport }) => {
      if (m.t === 'failures') failures.push(...m.failures);
      else report = m.report;
    });
    worker.on('error', (err) => death(`${where()}: the worker died: ${err.message}`));
    worker.on('exit', done);
  });
  const out: ValueReport = report ?? emptyValueReport();
  out.failures = failures.slice(0, 20);
  out.failureCount = Math.max(out.failureCount, failures.length);
  return out;
}

function replay(opts: Options, fixtures: readonly ResponseFixture[], index: number): void {
  const c = new DecoderFuzz(fixtures, opts.seed).caseAt(index);
  const { api, version } = c.subject.fixture;
  console.log(`case ${index} of seed ${opts.seed}: ${decoderName(api, version)} ${c.mutation} -> read as v${c.mutant.version}`);
  console.log(`recorded ${c.subject.fixture.frame.toString('hex')}\nmutated  ${c.mutant.frame.toString('hex')}`);
  try {
    console.log('decoded:', decodeResponse(api, c.mutant.version, c.mutant.frame));
  } catch (err) {
    console.log('threw:', err);
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const fixtures = loadFixtures();
  if (opts.replay !== null) {
    replay(opts, fixtures, opts.replay);
    return;
  }
  const uncaught: string[] = [];
  process.on('uncaughtException', (err) => uncaught.push(`uncaught exception: ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => uncaught.push(`unhandled rejection: ${String(err)}`));
  const apis = new Set(fixtures.map((f) => f.api.name)).size;
  console.log(`fuzz: seed ${opts.seed}; ${fixtures.length} responses of ${apis} APIs recorded from a real broker (${fixturesPath()})`);

  const started = performance.now();
  const { report: decoders, deaths } = await runDecoders(opts);
  const decoderSeconds = (performance.now() - started) / 1000;
  console.log(`\ndecoders: ${fmt(decoders.cases)} cases on ${opts.workers} worker thread(s) in ${decoderSeconds.toFixed(1)} s`);
  printDecoders(decoders, fixtures);
  for (const d of deaths) console.log(`  FAILED ${d}`);

  const framingStarted = performance.now();
  const framingFuzz = await FramingFuzz.start(fixtures, opts.seed);
  const framing = await framingFuzz.run(0, opts.framingCases);
  await framingFuzz.close();
  console.log(`\nframing: ${fmt(framing.cases)} connections in ${((performance.now() - framingStarted) / 1000).toFixed(1)} s`);
  printFraming(framing);

  const valuesStarted = performance.now();
  const values = await runValues(opts);
  console.log(
    `\nvalues: ${fmt(values.checkCases)} mutated recordings through the answer checks, ${fmt(values.producerCases)} producers and ${fmt(values.coordinatorCases)} coordinator lookups on the fake cluster in ${((performance.now() - valuesStarted) / 1000).toFixed(1)} s`,
  );
  printValues(values);
  for (const u of uncaught) console.log(`  FAILED ${u}`);

  const failures = decoders.failureCount + deaths.length + framing.failureCount + values.failureCount + uncaught.length;
  const missing = opts.cases - decoders.cases;
  console.log(
    `\nfuzz: ${fmt(decoders.cases + framing.cases + values.checkCases + values.producerCases + values.coordinatorCases)} cases (${fmt(decoders.cases)} decoder, ${fmt(framing.cases)} framing, ${fmt(values.checkCases + values.producerCases + values.coordinatorCases)} value) in ${((performance.now() - started) / 1000).toFixed(1)} s, seed ${opts.seed}: ${failures === 0 && missing === 0 ? 'no failures' : `${fmt(failures)} failures${missing > 0 ? `, ${fmt(missing)} decoder cases not run` : ''}`}`,
  );
  if (failures > 0 || missing > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
