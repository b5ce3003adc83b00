// The fuzzer past the decoders: answers that decode, with values that cannot
// be right (value-mutators.ts). Two parts, both seeded per case:
// - checks: every recorded real-broker answer of Metadata, Produce,
//   InitProducerId and FindCoordinator (test/fixtures/responses.json),
//   decoded and mutated (Produce up to v12, as the sender speaks it), must be refused by its check
//   (src/network/response-checks.ts) with a MalformedResponseError naming
//   the API and a field; a check that lets one through or throws is a failure.
// - producer: a KafkaProducer on the in-process fake cluster, on its
//   ManualClock, whose Metadata, Produce and InitProducerId answers are
//   mutated at a seeded rate, under a seeded workload; and the transaction
//   coordinator lookup fed mutated FindCoordinator answers. A case passes
//   when nothing throws uncaught and every send (every coordinator request)
//   settles exactly once, succeeded or failed with a KafkaClientError, within
//   its documented bound on the virtual clock (maxBlockMs + deliveryTimeoutMs
//   for a send; the request's deadline for a coordinator request).

import { KafkaClientError, MalformedResponseError } from '../../src/errors.js';
import { coordinatorProblem, initProducerIdProblem, metadataProblem, produceProblem, type AskedPartitions } from '../../src/network/response-checks.js';
import { decodeResponse } from '../../src/protocol/api.js';
import type { FindCoordinatorResponse } from '../../src/protocol/apis/find-coordinator.js';
import type { InitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js';
import type { MetadataResponse } from '../../src/protocol/apis/metadata.js';
import type { ProduceRequest, ProduceResponse } from '../../src/protocol/apis/produce.js';
import { Coordinators } from '../../src/sender/coordinator.js';
import type { SenderConnection, Transport } from '../../src/sender/transport.js';
import { FakeCluster, ManualClock, type FakeTopic } from '../../test/support/fake-cluster.js';
import { producerOver } from '../../test/support/fake-producer.js';
import type { ResponseFixture } from './fixtures.js';
import { caseSeed, Rng } from './random.js';
import { isValueApi, mutateValues, TOLERATED, VALUE_APIS, type ValueApi } from './value-mutators.js';

export interface ValueTally {
  cases: number;
  /** Refused by its check (checks), or sends that failed with a typed error (producer). */
  refused: number;
  /** Let through: a tolerated kind (checks), or sends acknowledged (producer). */
  passed: number;
}

/** The three parts, in the order they run (value-worker.ts notes the part by its index). */
export const VALUE_PARTS = ['checks', 'producer', 'coordinator'] as const;

export interface ValueReport {
  checkCases: number;
  producerCases: number;
  coordinatorCases: number;
  sends: number;
  /** By mutation kind: checks' cases and, for the producer, how often the kind was applied. */
  byKind: Record<string, ValueTally>;
  failureCount: number;
  failures: { index: number; part: (typeof VALUE_PARTS)[number]; reason: string }[];
  /** The largest virtual time a send took to settle, against its bound (ms). */
  slowestSettleMs: number;
}

export function emptyValueReport(): ValueReport {
  return { checkCases: 0, producerCases: 0, coordinatorCases: 0, sends: 0, byKind: {}, failureCount: 0, failures: [], slowestSettleMs: 0 };
}

const MAX_KEPT_FAILURES = 20;

function fail(r: ValueReport, index: number, part: ValueReport['failures'][number]['part'], reason: string): void {
  r.failureCount++;
  if (r.failures.length < MAX_KEPT_FAILURES) r.failures.push({ index, part, reason });
}

function tally(r: ValueReport, kind: string): ValueTally {
  r.byKind[kind] ??= { cases: 0, refused: 0, passed: 0 };
  return r.byKind[kind];
}

/** The check of an API on a decoded answer; `request` tells Produce what was asked. */
function problemIn(api: ValueApi, answer: unknown, request: Record<string, unknown>): MalformedResponseError | null {
  const broker = 'fixture';
  switch (api) {
    case 'Metadata':
      return metadataProblem(answer as MetadataResponse, broker);
    case 'Produce': {
      const asked: AskedPartitions = new Map((request as unknown as ProduceRequest).topicData.map((t) => [t.name ?? '', new Map(t.partitionData.map((p) => [p.index, p]))]));
      return produceProblem(answer as ProduceResponse, asked, broker);
    }
    case 'InitProducerId':
      return initProducerIdProblem(answer as InitProducerIdResponse, broker);
    case 'FindCoordinator':
      return coordinatorProblem(coordinatorOf(answer as FindCoordinatorResponse), broker);
  }
}

/** As coordinator.ts reads it: v4+ per key, below v4 the response itself. */
function coordinatorOf(res: FindCoordinatorResponse): { errorCode: number; nodeId: number; host: string; port: number } {
  return res.coordinators?.[0] ?? { errorCode: res.errorCode ?? -1, nodeId: res.nodeId ?? -1, host: res.host ?? '', port: res.port ?? -1 };
}

/** Produce v13 names topics by id; the sender stays at v12 (sender.ts), so its answers are never checked. */
const checked = (f: ResponseFixture) => isValueApi(f.api.name) && !(f.api.name === 'Produce' && f.version >= 13);

/** Case `index` of the checks part: fixture index mod F (of the four APIs' recordings), mutated. */
export function runCheckCase(fixtures: readonly ResponseFixture[], seed: number, index: number, report: ValueReport): void {
  const subjects = fixtures.filter(checked);
  const f = subjects[index % subjects.length] as ResponseFixture;
  const api = f.api.name as ValueApi;
  const rng = new Rng(caseSeed(seed ^ 0x7a1e, index));
  report.checkCases++;
  try {
    const decoded = decodeResponse(f.api, f.version, f.frame);
    const m = mutateValues(api, decoded, rng);
    if (!m) return;
    const t = tally(report, m.kind);
    t.cases++;
    const problem = problemIn(api, m.answer, f.request);
    if (problem) {
      t.refused++;
      if (problem.api !== api || !problem.field) fail(report, index, 'checks', `${api} v${f.version} ${m.kind}: the error names ${problem.api} / ${String(problem.field)}`);
      else if (TOLERATED.has(m.kind)) fail(report, index, 'checks', `${api} v${f.version} ${m.kind}: an answer the producer takes as it is was refused: ${problem.message}`);
    } else {
      t.passed++;
      if (!TOLERATED.has(m.kind)) fail(report, index, 'checks', `${api} v${f.version} ${m.kind}: let through: ${JSON.stringify(m.answer).slice(0, 400)}`);
    }
    // The untouched answer still passes: the check refuses what was mutated, not the recording.
    if (problemIn(api, decoded, f.request)) fail(report, index, 'checks', `${api} v${f.version}: the recorded answer itself is refused`);
  } catch (err) {
    fail(report, index, 'checks', `${api} v${f.version}: threw ${(err as Error).stack ?? String(err)}`);
  }
}

/** Short timeouts keep each case to a few seconds of virtual time. */
const OPTIONS = { maxBlockMs: 1000, deliveryTimeoutMs: 3000, requestTimeoutMs: 1000, retryBackoffMs: 50, retryBackoffMaxMs: 200 };
/** Virtual time the harness moves per step (timers due inside a step still fire in order). */
const STEP_MS = 250;
/** A send settles within maxBlockMs + deliveryTimeoutMs of the call; the step and lingerMs are the harness's slack. */
const SEND_BOUND_MS = OPTIONS.maxBlockMs + OPTIONS.deliveryTimeoutMs + STEP_MS + 10;

interface SendOutcome {
  at: number;
  settles: number;
  settledAt: number;
  err: Error | null;
}

/** Case `index` of the producer part: a producer under a seeded workload, its answers mutated at a seeded rate. */
export async function runProducerCase(seed: number, index: number, report: ValueReport): Promise<void> {
  const rng = new Rng(caseSeed(seed ^ 0x5e4d, index));
  report.producerCases++;
  const topics: FakeTopic[] = ['a', 'b'].map((name) => {
    const partitions = rng.between(1, 4);
    return { name, partitions, leaders: Array.from({ length: partitions }, () => rng.between(1, 3)) };
  });
  const cluster = new FakeCluster(topics, new ManualClock(1_000_000));
  const clock = cluster.clock;
  const rate = rng.pick([0.05, 0.2, 0.5, 1]);
  const targets = new Set(VALUE_APIS.filter(() => rng.below(3) > 0));
  const applied: string[] = [];
  cluster.tamper = (api, res) => {
    if (!isValueApi(api) || !targets.has(api) || rng.u32() / 4294967296 >= rate) return res;
    const m = mutateValues(api, res, rng);
    if (!m) return res;
    applied.push(m.kind);
    tally(report, m.kind).cases++;
    return m.answer;
  };
  const producer = producerOver(cluster, 'main', {
    ...OPTIONS,
    lingerMs: rng.pick([0, 0, 5]),
    ...rng.pick([{ enableIdempotence: true, acks: -1 }, { enableIdempotence: true, acks: -1 }, { enableIdempotence: false, acks: 1 }]),
  });
  const outcomes: SendOutcome[] = [];
  const where = () => `case ${index} (mutations ${applied.join(', ') || 'none'})`;
  try {
    const sends = rng.between(1, 16);
    for (let i = 0; i < sends; i++) {
      const topic = rng.below(10) === 0 ? 'missing' : (rng.pick(topics) as FakeTopic);
      const name = typeof topic === 'string' ? topic : topic.name;
      const partition = typeof topic === 'string' || rng.below(2) === 0 ? undefined : rng.below(topic.partitions);
      const o: SendOutcome = { at: clock.now(), settles: 0, settledAt: -1, err: null };
      outcomes.push(o);
      producer.send({ topic: name, partition, key: rng.below(2) === 0 ? null : `k${rng.below(5)}`, value: `v${i}` }, (err) => {
        o.settles++;
        o.settledAt = clock.now();
        o.err = err;
      });
      if (rng.below(3) === 0) await clock.advance(rng.pick([10, 100, 600]), STEP_MS);
    }
    report.sends += sends;
    const end = clock.now() + SEND_BOUND_MS + STEP_MS;
    while (outcomes.some((o) => o.settles === 0) && clock.now() < end) await clock.advance(STEP_MS, STEP_MS);
  } catch (err) {
    fail(report, index, 'producer', `${where()}: the harness caught ${(err as Error).stack ?? String(err)}`);
  }
  for (const [i, o] of outcomes.entries()) {
    if (o.settles !== 1) {
      fail(report, index, 'producer', `${where()}: send ${i} settled ${o.settles} times`);
      continue;
    }
    const took = o.settledAt - o.at;
    report.slowestSettleMs = Math.max(report.slowestSettleMs, took);
    if (took > SEND_BOUND_MS) fail(report, index, 'producer', `${where()}: send ${i} settled after ${took} ms of virtual time, past its bound ${SEND_BOUND_MS} ms`);
    if (o.err && !(o.err instanceof KafkaClientError)) fail(report, index, 'producer', `${where()}: send ${i} failed with an untyped ${o.err.name}: ${o.err.message}`);
  }
  await producer.close({ timeoutMs: 0 });
}

/** Case `index` of the coordinator part: FindCoordinator answers (the recorded ones) mutated at a seeded rate, through the lookup. */
export async function runCoordinatorCase(fixtures: readonly ResponseFixture[], seed: number, index: number, report: ValueReport): Promise<void> {
  const rng = new Rng(caseSeed(seed ^ 0xc0de, index));
  report.coordinatorCases++;
  const answers = fixtures.filter((f) => f.api.name === 'FindCoordinator').map((f) => decodeResponse(f.api, f.version, f.frame) as FindCoordinatorResponse);
  const clock = new ManualClock(0);
  const rate = rng.pick([0.2, 0.6, 1]);
  const metadata = new FakeCluster([]).metadata;
  const conn = (broker: string): SenderConnection =>
    ({
      broker,
      closed: false,
      request: async () => {
        // A sane answer naming node 1 (127.0.0.1:9001), or a mutated recording.
        const sane: FindCoordinatorResponse = { throttleTimeMs: 0, coordinators: [{ key: 'tx', nodeId: 1, host: '127.0.0.1', port: 9001, errorCode: 0, errorMessage: null }] };
        if (rng.u32() / 4294967296 >= rate) return sane;
        const m = mutateValues('FindCoordinator', rng.pick(answers), rng);
        if (m) tally(report, m.kind).cases++;
        return m?.answer ?? sane;
      },
    }) as unknown as SenderConnection;
  const transport = { metadata, anyConnection: async () => conn('127.0.0.1:9001 (node 1)'), connectionTo: async (id: number) => conn(`node ${id}`) } as unknown as Transport;
  const coordinators = new Coordinators(transport, clock, 50, 200, 'tx');
  const deadline = rng.pick([500, 2000]);
  let settles = 0;
  let outcome: unknown;
  void coordinators
    .request({ what: 'EndTxn', keyType: 1, key: 'tx', send: async () => ({}), codeOf: () => 0, unexpected: 'fatal', deadline })
    .then(
      (v) => {
        settles++;
        outcome = v;
      },
      (err: unknown) => {
        settles++;
        outcome = err;
      },
    );
  while (settles === 0 && clock.now() <= deadline + STEP_MS) await clock.advance(STEP_MS / 5, STEP_MS / 5);
  if (settles !== 1) fail(report, index, 'coordinator', `coordinator case ${index}: the request settled ${settles} times by ${clock.now()} ms (deadline ${deadline} ms)`);
  else if (outcome instanceof Error && !(outcome instanceof KafkaClientError)) fail(report, index, 'coordinator', `coordinator case ${index}: failed with an untyped ${outcome.name}: ${outcome.message}`);
  coordinators.close();
}
