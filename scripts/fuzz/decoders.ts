// The response decoders under fuzz: case N takes fixture N mod F and mutation
// kind (N div F) mod K, so every decoder meets every kind equally often, and
// draws its randomness from caseSeed(seed, N). A case passes when the decoder
// returns, or throws a MalformedResponseError naming the API, version and an
// offset inside the frame, within the time and allocation bounds. Anything
// else (another error class, a slow case, heap or external memory growing by
// more than the bound) is a failure, kept with its input for replay.

import v8 from 'node:v8';
import { decodeResponse } from '../../src/protocol/api.js';
import { MalformedResponseError } from '../../src/protocol/errors.js';
import { decoderName, type ResponseFixture } from './fixtures.js';
import { MUTATIONS, mutate, type Mutant, type Mutation, type Subject } from './mutators.js';
import { caseSeed, Rng } from './random.js';
import { integerFields } from './trace.js';

export interface Bounds {
  /** A case that takes longer than this (ms) counts as a hang. */
  caseMs: number;
  /** What a case may add to the heap and external memory while it runs (bytes). */
  allocationBytes: number;
}

/**
 * The largest fixture is under 1 KiB and decodes in microseconds with a few
 * KiB of objects; a decoder that trusted one hostile count would allocate
 * megabytes to gigabytes, or loop for seconds.
 */
export const DEFAULT_BOUNDS: Bounds = { caseMs: 1000, allocationBytes: 1024 * 1024 };

export interface Tally {
  cases: number;
  /** Decoded to a value (the mutation left a valid response, or one the schema cannot tell from valid). */
  decoded: number;
  /** Refused with a MalformedResponseError. */
  rejected: number;
}

export interface Failure {
  index: number;
  decoder: string;
  mutation: Mutation;
  reason: string;
  /** The mutated frame, hex. */
  input: string;
}

export interface DecoderReport {
  cases: number;
  /** By API name. */
  byApi: Record<string, Tally>;
  byMutation: Record<string, Tally>;
  failureCount: number;
  /** The first failures, with their inputs. */
  failures: Failure[];
  slowestCaseMs: number;
  largestAllocation: number;
}

export interface DecoderCase {
  index: number;
  subject: Subject;
  mutation: Mutation;
  mutant: Mutant;
}

/** Failures kept with their inputs; the rest are only counted in `cases`. */
const KEPT_FAILURES = 20;

function heapAndExternal(): number {
  const h = v8.getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}

export function emptyReport(): DecoderReport {
  return { cases: 0, byApi: {}, byMutation: {}, failureCount: 0, failures: [], slowestCaseMs: 0, largestAllocation: 0 };
}

function tally(into: Record<string, Tally>, key: string, decoded: boolean): void {
  const t = (into[key] ??= { cases: 0, decoded: 0, rejected: 0 });
  t.cases++;
  if (decoded) t.decoded++;
  else t.rejected++;
}

/** Adds `b` into `a` (reports of workers that ran parts of one run). */
export function mergeReports(a: DecoderReport, b: DecoderReport): DecoderReport {
  for (const [key, into] of [['byApi', a.byApi], ['byMutation', a.byMutation]] as const) {
    for (const [name, t] of Object.entries(b[key])) {
      const x = (into[name] ??= { cases: 0, decoded: 0, rejected: 0 });
      x.cases += t.cases;
      x.decoded += t.decoded;
      x.rejected += t.rejected;
    }
  }
  a.cases += b.cases;
  a.failureCount += b.failureCount;
  a.failures.push(...b.failures.slice(0, Math.max(0, KEPT_FAILURES - a.failures.length)));
  a.slowestCaseMs = Math.max(a.slowestCaseMs, b.slowestCaseMs);
  a.largestAllocation = Math.max(a.largestAllocation, b.largestAllocation);
  return a;
}

export class DecoderFuzz {
  readonly #subjects: Subject[];
  readonly #seed: number;
  readonly #bounds: Bounds;

  constructor(fixtures: readonly ResponseFixture[], seed: number, bounds: Bounds = DEFAULT_BOUNDS) {
    this.#subjects = fixtures.map((fixture) => ({ fixture, fields: integerFields(fixture) }));
    this.#seed = seed;
    this.#bounds = bounds;
  }

  caseAt(index: number): DecoderCase {
    const n = this.#subjects.length;
    const subject = this.#subjects[index % n] as Subject;
    const mutation = MUTATIONS[Math.floor(index / n) % MUTATIONS.length] as Mutation;
    return { index, subject, mutation, mutant: mutate(mutation, subject, new Rng(caseSeed(this.#seed, index))) };
  }

  /**
   * Runs cases [from, from + count). `progress[slot]`, when given, holds the
   * case running now, for a watchdog on another thread: a decoder stuck in a
   * loop never returns to say so itself.
   */
  run(from: number, count: number, progress?: { cells: Int32Array; slot: number }): DecoderReport {
    const report = emptyReport();
    for (let index = from; index < from + count; index++) {
      if (progress) Atomics.store(progress.cells, progress.slot, index);
      const c = this.caseAt(index);
      const { api } = c.subject.fixture;
      const { frame, version } = c.mutant;
      const a = attempt(c);
      const wrong = judgeError(a.error, api.name, version, frame);
      let cost = judgeCost(a.ms, a.grew, this.#bounds);
      // Time and memory are measured, so a busy machine or a collection can tip them: the same bytes get
      // two more tries and the best of three is judged.
      for (let again = 0; again < 2 && cost !== null; again++) {
        const b = attempt(c);
        a.ms = Math.min(a.ms, b.ms);
        a.grew = Math.min(a.grew, b.grew);
        cost = judgeCost(a.ms, a.grew, this.#bounds);
      }
      const reason = wrong ?? cost;
      report.cases++;
      report.slowestCaseMs = Math.max(report.slowestCaseMs, a.ms);
      report.largestAllocation = Math.max(report.largestAllocation, a.grew);
      tally(report.byApi, api.name, a.decoded);
      tally(report.byMutation, c.mutation, a.decoded);
      if (reason !== null && report.failureCount++ < KEPT_FAILURES) {
        report.failures.push({ index, decoder: decoderName(api, version), mutation: c.mutation, reason, input: frame.toString('hex') });
      }
    }
    return report;
  }
}

/** Decodes a case once: whether it returned, what it threw otherwise, how long it took, how much memory it added. */
function attempt(c: DecoderCase): { decoded: boolean; error: unknown; ms: number; grew: number } {
  let result: unknown = null;
  let error: unknown = null;
  const before = heapAndExternal();
  const start = performance.now();
  try {
    result = decodeResponse(c.subject.fixture.api, c.mutant.version, c.mutant.frame);
  } catch (err) {
    error = err ?? new Error(`thrown ${String(err)}`);
  }
  const ms = performance.now() - start;
  // Measured while the decoded value is still held (it is read below).
  const grew = heapAndExternal() - before;
  return { decoded: result !== null, error, ms, grew };
}

/** What is wrong with how a case ended (null: returned, or threw the typed error naming its decoder and an offset in the frame). */
export function judgeError(error: unknown, api: string, version: number, frame: Buffer): string | null {
  if (error === null) return null;
  if (!(error instanceof MalformedResponseError)) {
    const e = error as Error;
    return `threw ${e?.name ?? typeof error} (not a MalformedResponseError): ${e?.message ?? String(error)}`;
  }
  if (error.api !== api || error.version !== version) return `MalformedResponseError names ${error.api} v${error.version}`;
  if (!Number.isInteger(error.offset) || error.offset < 4 || error.offset > Math.max(4, frame.length)) {
    return `MalformedResponseError offset ${error.offset} is outside the frame (${frame.length} bytes)`;
  }
  return null;
}

/** What a case cost beyond its bounds, or null. */
export function judgeCost(ms: number, grew: number, bounds: Bounds): string | null {
  if (ms > bounds.caseMs) return `took ${ms.toFixed(1)} ms (bound ${bounds.caseMs} ms)`;
  if (grew > bounds.allocationBytes) return `heap and external memory grew by ${grew} bytes (bound ${bounds.allocationBytes})`;
  return null;
}
