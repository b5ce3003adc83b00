// One schedule, drawn from its seed: the producer's profile and config, the
// cluster's topics and transactions version, and the fault schedule (each
// request's fault, and the timed events: moves, loading coordinators,
// brokers down, malformed metadata, a broker that stops reading and later
// drains). Which fault families and workload features may be drawn is the
// caller's (SIM_FAULTS, SIM_FEATURES), so CI runs exactly the set whose bugs
// are fixed.

import type { ProducerOptions } from '../../src/config.js';
import type { FakeCluster, ProduceFault, RequestFault } from '../support/fake-cluster.js';
import { API_ERRORS, ERROR_NAMES, TXN_PRODUCE_ERRORS } from './errors.js';

export const FAULT_FAMILIES = ['lost', 'delay', 'stall', 'moves', 'loading', 'down', 'errors', 'metadata'] as const;
export type FaultFamily = (typeof FAULT_FAMILIES)[number];
export const FEATURES = ['idempotent', 'acks0', 'txn', 'txn2', 'offsets', 'overlap', 'wrap'] as const;
export type Feature = (typeof FEATURES)[number];

export interface SimOptions {
  faults: ReadonlySet<FaultFamily>;
  features: ReadonlySet<Feature>;
}

export type Profile = 'idempotent' | 'acks0' | 'txn';

export const TOPICS = [
  { name: 'a', partitions: 1, leaders: [1] },
  { name: 'b', partitions: 3, leaders: [1, 2, 3] },
  { name: 'c', partitions: 2, leaders: [2, 3] },
];

/** Ring capacities 2k+16 that do not divide 2^32, with few slots of slack at the wrap (k slots). */
const WRAP_SLOTS = [6, 10, 11, 13, 14];

export interface Plan {
  seed: number;
  profile: Profile;
  txnVersion: 1 | 2;
  options: ProducerOptions;
  /** Event ring counters start this far below 2^32 (0: at 0). */
  ringBelowWrap: number;
  firstEpoch: number;
  /** Each partition's sequences start here under every epoch (0, or just below 2^31). */
  firstSequence: number;
  faultRate: number;
  /** The topics' max.message.bytes: smaller than a grown batch, so that MESSAGE_TOO_LARGE splits it. */
  maxMessageBytes: number;
}

export type Rng = () => number;

export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T;
export const between = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));

export function drawPlan(seed: number, rng: Rng, opts: SimOptions): Plan {
  const profiles: Profile[] = [];
  if (opts.features.has('idempotent')) profiles.push('idempotent');
  if (opts.features.has('acks0')) profiles.push('acks0');
  if (opts.features.has('txn')) profiles.push('txn', 'txn');
  const profile = profiles.length > 0 ? pick(rng, profiles) : 'idempotent';
  const wrap = opts.features.has('wrap') && rng() < 0.5;
  const batchSize = pick(rng, [256, 512]);
  const slots = wrap ? pick(rng, WRAP_SLOTS) : between(rng, 4, 16);
  const lingerMs = pick(rng, [0, 0, 5, 20]);
  const requestTimeoutMs = pick(rng, [500, 1000, 2000]);
  const options: ProducerOptions = {
    bootstrapServers: '127.0.0.1:9001',
    clientId: `sim-${seed}`,
    worker: false,
    lingerMs,
    batchSize,
    maxBatchSize: rng() < 0.5 ? batchSize : batchSize * 4,
    bufferMemory: batchSize * slots,
    requestTimeoutMs,
    deliveryTimeoutMs: lingerMs + requestTimeoutMs + pick(rng, [0, 500, 3000]),
    maxBlockMs: pick(rng, [300, 1000, 3000]),
    retryBackoffMs: pick(rng, [20, 100]),
    retryBackoffMaxMs: 500,
    connectionsPerBroker: pick(rng, [1, 1, 2]),
    compressionType: pick(rng, ['none', 'none', 'none', 'gzip', 'snappy', 'lz4'] as const),
    acks: profile === 'acks0' ? 0 : 'all',
    enableIdempotence: profile !== 'acks0',
    ...(profile === 'txn' ? { transactionalId: `tx-${seed % 7}`, transactionTimeoutMs: 60_000 } : {}),
  } as ProducerOptions;
  return {
    seed,
    profile,
    txnVersion: profile === 'txn' && opts.features.has('txn2') && rng() < 0.5 ? 2 : 1,
    options,
    ringBelowWrap: wrap ? between(rng, 1, 2 * slots + 15) : 0,
    firstEpoch: opts.features.has('wrap') && rng() < 0.3 ? 32767 - between(rng, 1, 4) : 0,
    firstSequence: opts.features.has('wrap') && rng() < 0.3 ? 2 ** 31 - between(rng, 1, 6) : 0,
    faultRate: opts.faults.size === 0 ? 0 : 0.02 + rng() * 0.18,
    maxMessageBytes: opts.faults.has('errors') && rng() < 0.1 ? batchSize + between(rng, 0, batchSize) : Infinity,
  };
}

/** What the fault schedule did, for the oracle (which codes justify a fatal producer) and the trace. */
export interface Injected {
  api: string;
  code: number;
}

type Log = (line: string) => void;

/** Installs the plan's faults on the cluster: per-request faults, and timed events within `spanMs`. */
export function installFaults(cluster: FakeCluster, plan: Plan, rng: Rng, opts: SimOptions, injected: Injected[], log: Log, spanMs: number): void {
  const on = (f: FaultFamily) => opts.faults.has(f);
  const cfg = plan.options as Required<Pick<ProducerOptions, 'requestTimeoutMs' | 'deliveryTimeoutMs' | 'maxBlockMs'>>;
  const txn = plan.profile === 'txn';
  const lost = (): ProduceFault & RequestFault => pick(rng, [{ kind: 'lose-response' }, { kind: 'drop-before-write' }, { kind: 'drop-after-write' }] as const);
  const late = (): { kind: 'delay'; ms: number } => ({ kind: 'delay', ms: cfg.requestTimeoutMs + between(rng, 1, cfg.requestTimeoutMs) });
  const produceFamilies = (['lost', 'delay', 'stall', 'errors'] as const).filter(on);
  cluster.faultFor = (_call, req) => {
    if (produceFamilies.length === 0 || rng() >= plan.faultRate) return null;
    const family = pick(rng, produceFamilies);
    let fault: ProduceFault;
    if (family === 'lost') fault = lost();
    else if (family === 'delay') fault = late();
    else if (family === 'stall') {
      fault = { kind: 'stall' };
      const after = between(rng, 50, cfg.deliveryTimeoutMs * 2);
      cluster.clock.setTimeout(() => {
        log(`broker drains its stalled sockets`);
        for (const c of cluster.connections) if (c.stalled) c.resume();
      }, after);
    } else {
      const code = pick(rng, txn && req.transactionalId !== null ? [...(API_ERRORS.Produce ?? []), ...TXN_PRODUCE_ERRORS] : (API_ERRORS.Produce ?? []));
      injected.push({ api: 'Produce', code });
      fault = { kind: 'error', code };
    }
    log(`fault Produce#${_call}: ${describeFault(fault)}`);
    return fault;
  };
  const requestFamilies = (['lost', 'delay', 'errors'] as const).filter(on);
  cluster.requestFaultFor = (api) => {
    if (requestFamilies.length === 0 || rng() >= plan.faultRate) return null;
    const family = pick(rng, requestFamilies);
    let fault: RequestFault;
    if (family === 'lost') fault = lost();
    else if (family === 'delay') fault = late();
    else {
      const codes = API_ERRORS[api];
      if (!codes) return null;
      const code = pick(rng, codes);
      injected.push({ api, code });
      fault = { kind: 'error', code };
    }
    log(`fault ${api}: ${describeFault(fault)}`);
    return fault;
  };
  const timed = (['moves', 'loading', 'down', 'metadata'] as const).filter(on);
  const events = timed.length === 0 ? 0 : between(rng, 0, 3);
  for (let i = 0; i < events; i++) {
    const at = between(rng, 0, spanMs);
    const family = pick(rng, timed);
    cluster.clock.setTimeout(() => timedEvent(cluster, family, rng, cfg, log), at);
  }
}

function timedEvent(cluster: FakeCluster, family: FaultFamily, rng: Rng, cfg: { maxBlockMs: number; requestTimeoutMs: number }, log: Log): void {
  switch (family) {
    case 'moves': {
      if (rng() < 0.5) {
        const t = pick(rng, TOPICS);
        const p = between(rng, 0, t.partitions - 1);
        const to = between(rng, 1, 3);
        cluster.moveLeader(t.name, p, to);
        log(`leader of ${t.name}-${p} moves to node ${to}`);
      } else {
        cluster.txnCoordinatorNode = between(rng, 1, 3);
        cluster.groupCoordinatorNode = between(rng, 1, 3);
        log(`coordinators move: transactions node ${cluster.txnCoordinatorNode}, group node ${cluster.groupCoordinatorNode}`);
      }
      return;
    }
    case 'loading': {
      const ms = Math.round(cfg.maxBlockMs * (0.5 + rng() * 2.5));
      const which = pick(rng, ['transaction', 'group', 'both'] as const);
      if (which !== 'group') cluster.coordinatorLoadingUntil = cluster.clock.now() + ms;
      if (which !== 'transaction') cluster.groupLoadingUntil = cluster.clock.now() + ms;
      log(`${which === 'both' ? 'both coordinators load' : `the ${which} coordinator loads`} for ${ms} ms (maxBlockMs ${cfg.maxBlockMs})`);
      return;
    }
    case 'down': {
      const node = between(rng, 1, 3);
      const ms = between(rng, 100, cfg.maxBlockMs * 2);
      cluster.setDown(node, true);
      log(`node ${node} down for ${ms} ms`);
      cluster.clock.setTimeout(() => {
        cluster.setDown(node, false);
        log(`node ${node} up`);
      }, ms);
      return;
    }
    case 'metadata': {
      const t = pick(rng, TOPICS);
      cluster.metadataHoles.add(t.name);
      log(`Metadata answers list ${t.name} without partition 0`);
      cluster.clock.setTimeout(() => cluster.metadataHoles.delete(t.name), between(rng, 10, 2000));
      return;
    }
    default:
      return;
  }
}

function describeFault(f: ProduceFault | RequestFault): string {
  if (f.kind === 'error') return `error ${f.code} ${ERROR_NAMES[f.code] ?? ''}`.trim();
  if (f.kind === 'delay') return `answer delayed ${f.ms} ms`;
  return f.kind;
}
