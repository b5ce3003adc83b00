// Hostile VALUES in decoded answers (the bytes decode; what they say cannot
// be right): holes and huge or negative partition indices, duplicate
// partitions, topics and brokers, leaders that are no broker, negative ids,
// epochs and offsets, impossible ports and hosts, partitions nobody asked
// for. Pure and seeded: mutateValues(api, answer, rng) returns a mutated copy
// and the kind applied, so a test, the value fuzzer (values.ts) or a
// simulator can route any answer through it. The original is never changed.

import type { FindCoordinatorResponse } from '../../src/protocol/apis/find-coordinator.js';
import type { InitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js';
import type { MetadataResponse } from '../../src/protocol/apis/metadata.js';
import type { ProduceResponse } from '../../src/protocol/apis/produce.js';
import type { Rng } from './random.js';

/** Values a hostile broker likes: the edges of int32 and int16, and -1's neighbours. */
const EDGES = [-2147483648, -65536, -2, 2147483647, 2147483646, 65536, 32768];

const KINDS = {
  Metadata: [
    'partition-hole',
    'partition-index-huge',
    'partition-index-negative',
    'partition-duplicate',
    'partition-count-extra',
    'topic-duplicate',
    'leader-unknown',
    'leader-negative',
    'leader-epoch-negative',
    'replica-negative',
    'broker-id-negative',
    'broker-duplicate',
    'broker-port',
    'broker-host',
  ],
  Produce: [
    'produce-partition-unasked',
    'produce-partition-duplicate',
    'produce-topic-unasked',
    'produce-partition-omitted',
    'produce-offset-negative',
    'produce-append-time-negative',
    'produce-log-start-negative',
    'produce-leader-hint-negative',
    'produce-endpoint-port',
  ],
  InitProducerId: ['producer-id-negative', 'producer-epoch-negative'],
  FindCoordinator: ['coordinator-node-negative', 'coordinator-port', 'coordinator-host'],
} as const;

export type ValueApi = keyof typeof KINDS;
export type ValueMutation = (typeof KINDS)[ValueApi][number];
export const VALUE_APIS = Object.keys(KINDS) as ValueApi[];
export const VALUE_MUTATIONS: readonly ValueMutation[] = Object.values(KINDS).flat();

/** Kinds that leave an answer the producer must take as it is (a partition left out is a lost answer), not refuse. */
export const TOLERATED: ReadonlySet<ValueMutation> = new Set<ValueMutation>(['produce-partition-omitted']);

export function isValueApi(api: string): api is ValueApi {
  return api in KINDS;
}

/** A deep copy that keeps Buffers as they are (topic ids: nothing here changes them, and structuredClone would make them Uint8Arrays). */
function copy<T>(v: T): T {
  if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(copy) as T;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)])) as T;
}

const negative = (rng: Rng) => rng.pick([-2, -3, -100, ...EDGES.filter((e) => e < -1)]);

/** A mutated copy of `answer` and the kind applied; null when no kind of the API applies (e.g. an answer with no partitions). */
export function mutateValues(api: ValueApi, answer: unknown, rng: Rng): { kind: ValueMutation; answer: unknown } | null {
  const kinds = KINDS[api];
  // Kinds are tried from a random start, so one that does not apply (no partition to duplicate) gives way to the next.
  const start = rng.below(kinds.length);
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[(start + i) % kinds.length] as ValueMutation;
    const out = copy(answer);
    if (apply(kind, out, rng)) return { kind, answer: out };
  }
  return null;
}

function apply(kind: ValueMutation, a: unknown, rng: Rng): boolean {
  switch (kind.split('-')[0]) {
    case 'produce':
      return produce(kind, a as ProduceResponse, rng);
    case 'producer':
      return initProducerId(kind, a as InitProducerIdResponse, rng);
    case 'coordinator':
      return coordinator(kind, a as FindCoordinatorResponse, rng);
    default:
      return metadata(kind, a as MetadataResponse, rng);
  }
}

function metadata(kind: ValueMutation, m: MetadataResponse, rng: Rng): boolean {
  const topics = m.topics.filter((t) => t.partitions.length > 0);
  const topic = topics.length > 0 ? rng.pick(topics) : undefined;
  const p = topic ? rng.pick(topic.partitions) : undefined;
  const broker = m.brokers.length > 0 ? rng.pick(m.brokers) : undefined;
  switch (kind) {
    case 'partition-hole': {
      // Any partition but the highest (without that one the topic would just be smaller): partition 0 gone with
      // the rest kept is the hole the diagnostics reporter once read as a partition.
      const highest = topic ? topic.partitions.length - 1 : -1;
      const inside = topic?.partitions.filter((x) => x.partitionIndex !== highest) ?? [];
      if (!topic || inside.length === 0) return false;
      topic.partitions.splice(topic.partitions.indexOf(rng.pick(inside)), 1);
      return true;
    }
    case 'partition-index-huge':
      if (!p) return false;
      p.partitionIndex = rng.pick([2147483646, 2147483647, 65536, 1_000_000]);
      return true;
    case 'partition-index-negative':
      if (!p) return false;
      p.partitionIndex = negative(rng);
      return true;
    case 'partition-duplicate':
      if (!topic || !p) return false;
      topic.partitions.push(copy(p));
      return true;
    case 'partition-count-extra':
      if (!topic || !p) return false;
      topic.partitions.push({ ...copy(p), partitionIndex: topic.partitions.length + rng.between(1, 5) });
      return true;
    case 'topic-duplicate':
      if (!topic) return false;
      m.topics.push(copy(topic));
      return true;
    case 'leader-unknown':
      if (!p) return false;
      p.leaderId = rng.pick([7, 99, 2147483647, ...m.brokers.map((b) => b.nodeId + 1000)]);
      return !m.brokers.some((b) => b.nodeId === p.leaderId);
    case 'leader-negative':
      if (!p) return false;
      p.leaderId = negative(rng);
      return true;
    case 'leader-epoch-negative':
      if (!p) return false;
      p.leaderEpoch = negative(rng);
      return true;
    case 'replica-negative':
      if (!p) return false;
      p.replicaNodes.push(negative(rng));
      return true;
    case 'broker-id-negative':
      if (!broker) return false;
      broker.nodeId = negative(rng);
      return true;
    case 'broker-duplicate':
      if (!broker) return false;
      m.brokers.push({ ...broker, port: broker.port === 65535 ? 1 : broker.port + 1 });
      return true;
    case 'broker-port':
      if (!broker) return false;
      broker.port = rng.pick([0, -1, 65536, 2147483647]);
      return true;
    case 'broker-host':
      if (!broker) return false;
      broker.host = rng.pick(['', ' ', 'a b', 'host\u0000name', 'x'.repeat(300)]);
      return true;
    default:
      return false;
  }
}

function produce(kind: ValueMutation, r: ProduceResponse, rng: Rng): boolean {
  const topics = r.responses.filter((t) => t.partitionResponses.length > 0);
  const topic = topics.length > 0 ? rng.pick(topics) : undefined;
  const p = topic ? rng.pick(topic.partitionResponses) : undefined;
  if (!topic || !p) return false;
  switch (kind) {
    case 'produce-partition-unasked':
      topic.partitionResponses.push({ ...copy(p), index: p.index + rng.between(100, 1000) });
      return true;
    case 'produce-partition-duplicate':
      topic.partitionResponses.push(copy(p));
      return true;
    case 'produce-topic-unasked':
      r.responses.push({ ...copy(topic), name: `${topic.name ?? ''}-not-asked` });
      return true;
    case 'produce-partition-omitted':
      topic.partitionResponses.splice(topic.partitionResponses.indexOf(p), 1);
      return true;
    case 'produce-offset-negative':
      p.baseOffset = negative(rng);
      return true;
    case 'produce-append-time-negative':
      p.logAppendTimeMs = negative(rng);
      return true;
    case 'produce-log-start-negative':
      p.logStartOffset = negative(rng);
      return true;
    case 'produce-leader-hint-negative':
      p.errorCode = 6;
      p.currentLeader = { leaderId: negative(rng), leaderEpoch: rng.below(2) === 0 ? negative(rng) : 5 };
      return true;
    case 'produce-endpoint-port':
      r.nodeEndpoints.push({ nodeId: rng.between(0, 5), host: '127.0.0.1', port: rng.pick([0, -1, 65536]), rack: null });
      return true;
    default:
      return false;
  }
}

function initProducerId(kind: ValueMutation, r: InitProducerIdResponse, rng: Rng): boolean {
  r.errorCode = 0;
  if (kind === 'producer-id-negative') r.producerId = rng.pick([-1, -2, -(2 ** 40)]);
  else r.producerEpoch = negative(rng);
  return true;
}

function coordinator(kind: ValueMutation, r: FindCoordinatorResponse, rng: Rng): boolean {
  // v4+ answers per key, below v4 in the response itself: both are mutated alike.
  const targets: { nodeId?: number; host?: string; port?: number; errorCode?: number }[] = r.coordinators ?? [r];
  for (const c of targets) {
    c.errorCode = 0;
    if (kind === 'coordinator-node-negative') c.nodeId = negative(rng);
    else if (kind === 'coordinator-port') c.port = rng.pick([0, -1, 65536]);
    else c.host = rng.pick(['', 'a b', 'x'.repeat(300)]);
  }
  return targets.length > 0;
}
