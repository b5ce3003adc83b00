// What the client checks in a decoded answer before acting on it: the values
// a broker sends are not trusted. Each check returns null, or a
// MalformedResponseError naming the API, the field (as a path) and the
// broker; the caller fails or retries what depended on the answer. Every
// check is linear in the answer, whose size maxResponseSize already bounds.
// The rules, and why each holds on a real cluster: docs/protocol.md, "What
// the client checks in an answer".

import type { ApiVersionsResponse } from '../protocol/apis/api-versions.js';
import type { InitProducerIdResponse } from '../protocol/apis/init-producer-id.js';
import type { MetadataResponse } from '../protocol/apis/metadata.js';
import type { ProducePartitionResponse, ProduceResponse } from '../protocol/apis/produce.js';
import { MalformedResponseError, ProtocolError } from '../protocol/errors.js';

/** Host names are at most 253 characters (RFC 1035); 255 leaves room for an IPv6 literal's brackets. */
const MAX_HOST_LENGTH = 255;
/** Any character from NUL to space: no host name or address holds one. */
const BAD_HOST_CHAR = /[\u0000-\u0020\u007f]/;

export function malformed(api: string, broker: string | null, field: string, problem: string): MalformedResponseError {
  return new MalformedResponseError(api, -1, -1, new ProtocolError(problem), broker, field);
}

/** `value` as it is, or the problem thrown: for answers checked in a promise chain. */
export function checked<T>(value: T, problem: MalformedResponseError | null): T {
  if (problem) throw problem;
  return value;
}

/** A broker's address as Metadata, FindCoordinator and Produce's node_endpoints give it. */
function endpointProblem(nodeId: number, host: string, port: number): [field: string, problem: string] | null {
  if (nodeId < 0) return ['nodeId', `is ${nodeId}; a broker's node id is 0 or more`];
  if (host.length === 0 || host.length > MAX_HOST_LENGTH || BAD_HOST_CHAR.test(host)) {
    return ['host', `is ${JSON.stringify(host.slice(0, 64))}; a host is 1 to ${MAX_HOST_LENGTH} characters without spaces or control characters`];
  }
  if (port < 1 || port > 65535) return ['port', `is ${port}; a port is 1 to 65535`];
  return null;
}

/** Lists up to this long are searched for repeats in place; longer ones (only a hostile broker's) through a Set, to stay linear. */
const SHORT_LIST = 16;

/** A list of node ids (replicas, ISR, offline replicas): each 0 or more, none twice. */
function nodeListProblem(ids: readonly number[]): string | null {
  const seen = ids.length > SHORT_LIST ? new Set<number>() : null;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (id < 0) return `holds ${id}; a node id is 0 or more`;
    if (seen ? seen.has(id) : ids.indexOf(id) !== i) return `holds node ${id} twice`;
    seen?.add(id);
  }
  return null;
}

/**
 * Metadata: brokers with sane, distinct ids and addresses; each topic once;
 * a topic's partitions listed once each with indices exactly 0..n-1 (so the
 * count is bounded by the answer itself, never by an index); every leader a
 * listed broker or -1 (a broker answers -1 with LEADER_NOT_AVAILABLE when the
 * leader is not alive); leader epochs -1 or more; node lists sane.
 */
export function metadataProblem(res: MetadataResponse, broker: string | null): MalformedResponseError | null {
  const bad = (field: string, problem: string) => malformed('Metadata', broker, field, problem);
  if (res.controllerId < -1) return bad('controllerId', `is ${res.controllerId}; it is a node id or -1`);
  const brokers = new Set<number>();
  for (const [i, b] of res.brokers.entries()) {
    const wrong = endpointProblem(b.nodeId, b.host, b.port);
    if (wrong) return bad(`brokers[${i}].${wrong[0]}`, wrong[1]);
    if (brokers.has(b.nodeId)) return bad(`brokers[${i}].nodeId`, `${b.nodeId} is listed twice`);
    brokers.add(b.nodeId);
  }
  const topics = new Set<string>();
  for (const [i, t] of res.topics.entries()) {
    const where = `topics[${t.name ?? i}]`;
    if (t.name !== null) {
      if (topics.has(t.name)) return bad(`${where}.name`, 'is listed twice');
      topics.add(t.name);
    }
    const n = t.partitions.length;
    const seen = new Uint8Array(n);
    for (const [j, p] of t.partitions.entries()) {
      const at = `${where}.partitions[${j}]`;
      const index = p.partitionIndex;
      if (index < 0 || index >= n) {
        return bad(`${at}.partitionIndex`, `is ${index}; the topic lists ${n} partition(s), whose indices must be exactly 0..${n - 1}`);
      }
      if (seen[index] === 1) return bad(`${at}.partitionIndex`, `${index} is listed twice`);
      seen[index] = 1;
      if (p.leaderId !== -1 && !brokers.has(p.leaderId)) return bad(`${at}.leaderId`, `is ${p.leaderId}, which is neither a listed broker nor -1`);
      if (p.leaderEpoch < -1) return bad(`${at}.leaderEpoch`, `is ${p.leaderEpoch}; an epoch is -1 (unknown) or more`);
      for (const list of ['replicaNodes', 'isrNodes', 'offlineReplicas'] as const) {
        const wrong = nodeListProblem(p[list]);
        if (wrong) return bad(`${at}.${list}`, wrong);
      }
    }
  }
  return null;
}

/** Where the answered partitions of a Produce request are: topic name to partition index to anything. */
export type AskedPartitions = ReadonlyMap<string, ReadonlyMap<number, unknown>>;

/**
 * Produce: only topics and partitions the request asked about, each once;
 * offsets and times -1 (unknown) or more (int64 beyond 2^53 does not decode);
 * a leader hint's id and epoch -1 or more; node endpoints sane.
 */
export function produceProblem(res: ProduceResponse, asked: AskedPartitions, broker: string | null): MalformedResponseError | null {
  const bad = (field: string, problem: string) => malformed('Produce', broker, field, problem);
  // On the hot path: nothing is allocated for an answer of one partition per topic, and no string unless it is refused.
  let topics: Set<string> | null = null;
  for (const t of res.responses) {
    const partitions = t.name === undefined ? undefined : asked.get(t.name);
    const at = (p: ProducePartitionResponse) => `responses[${t.name ?? '?'}].partitionResponses[${p.index}]`;
    if (res.responses.length > 1 && t.name !== undefined) {
      topics ??= new Set();
      if (topics.has(t.name)) return bad(`responses[${t.name}].name`, 'is answered twice');
      topics.add(t.name);
    }
    const answered = t.partitionResponses.length > 1 ? new Set<number>() : null;
    for (const p of t.partitionResponses) {
      if (!partitions?.has(p.index)) return bad(`${at(p)}.index`, 'names a partition the request did not carry');
      if (answered) {
        if (answered.has(p.index)) return bad(`${at(p)}.index`, 'is answered twice');
        answered.add(p.index);
      }
      const wrong = partitionProblem(p);
      if (wrong) return bad(`${at(p)}.${wrong[0]}`, wrong[1]);
    }
  }
  for (const [i, ep] of res.nodeEndpoints.entries()) {
    const wrong = endpointProblem(ep.nodeId, ep.host, ep.port);
    if (wrong) return bad(`nodeEndpoints[${i}].${wrong[0]}`, wrong[1]);
  }
  return null;
}

function partitionProblem(p: ProducePartitionResponse): [field: string, problem: string] | null {
  if (p.baseOffset < -1) return ['baseOffset', `is ${p.baseOffset}; an offset is -1 (unknown) or more`];
  if (p.logAppendTimeMs < -1) return ['logAppendTimeMs', `is ${p.logAppendTimeMs}; a time is -1 (none) or more`];
  if (p.logStartOffset < -1) return ['logStartOffset', `is ${p.logStartOffset}; an offset is -1 (unknown) or more`];
  if (p.currentLeader && (p.currentLeader.leaderId < -1 || p.currentLeader.leaderEpoch < -1)) {
    return ['currentLeader', `is node ${p.currentLeader.leaderId} at epoch ${p.currentLeader.leaderEpoch}; each is -1 (unknown) or more`];
  }
  return null;
}

/** InitProducerId answered without error: a producer id 0 or more and an epoch 0 or more (int16, so at most 32767). */
export function initProducerIdProblem(res: InitProducerIdResponse, broker: string | null): MalformedResponseError | null {
  if (res.errorCode !== 0) return null;
  const bad = (field: string, problem: string) => malformed('InitProducerId', broker, field, problem);
  if (res.producerId < 0) return bad('producerId', `is ${res.producerId} with no error; a producer id is 0 or more`);
  if (res.producerEpoch < 0) return bad('producerEpoch', `is ${res.producerEpoch} with no error; an epoch is 0 to 32767`);
  return null;
}

/** FindCoordinator answered without error: the coordinator's node id, host and port. */
export function coordinatorProblem(c: { errorCode: number; nodeId: number; host: string; port: number }, broker: string | null): MalformedResponseError | null {
  if (c.errorCode !== 0) return null;
  const wrong = endpointProblem(c.nodeId, c.host, c.port);
  return wrong ? malformed('FindCoordinator', broker, `coordinator.${wrong[0]}`, wrong[1]) : null;
}

/** ApiVersions: each API once, its versions 0 or more and min <= max. */
export function apiVersionsProblem(res: ApiVersionsResponse, broker: string | null): MalformedResponseError | null {
  const seen = new Set<number>();
  for (const k of res.apiKeys) {
    const at = `apiKeys[${k.apiKey}]`;
    if (seen.has(k.apiKey)) return malformed('ApiVersions', broker, `${at}.apiKey`, 'is listed twice');
    seen.add(k.apiKey);
    if (k.minVersion < 0 || k.maxVersion < k.minVersion) {
      return malformed('ApiVersions', broker, at, `offers versions ${k.minVersion}..${k.maxVersion}; a range is 0 or more with min <= max`);
    }
  }
  return null;
}
