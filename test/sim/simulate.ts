// One schedule of the deterministic simulator: the real KafkaProducer (main
// side and Sender, the Sender in-thread: see README "npm run simulate" for
// why not behind a MessagePort) against the fake cluster, on the runtime's
// virtual clock, driven by the seed's workload and faults, then judged by
// the oracle. A pure function of (seed, options): the same seed replays the
// same run, line for line.

import { KafkaProducer } from '../../src/producer.js';
import type { ProducerOptions } from '../../src/config.js';
import { SENDER_DEPS } from '../../src/sender/host.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { check } from './oracle.js';
import { rngFrom, SimClock, SimRuntime } from './runtime.js';
import { between, drawPlan, installFaults, TOPICS, type Injected, type Plan, type SimOptions } from './schedule.js';
import { boundsOf, Workload, type Recorder } from './workload.js';

/** The virtual clock's start: a fixed date, so that timestamps replay too. */
const START = 1_767_225_600_000;
/** Callbacks a schedule may run before it counts as stuck (a loop that spins on the virtual clock). */
const MAX_STEPS = 200_000;

export interface ScheduleResult {
  seed: number;
  plan: Plan;
  violations: string[];
  trace: string[];
  steps: number;
  virtualMs: number;
  end: string;
}

export async function runSchedule(seed: number, opts: SimOptions): Promise<ScheduleResult> {
  const rt = new SimRuntime(seed, START);
  const rng = rngFrom(seed * 2654435761);
  const plan = drawPlan(seed, rng, opts);
  const trace: string[] = [];
  const log = (line: string) => trace.push(`${String(rt.now - START).padStart(6)} ms  ${line}`);
  const uncaught: unknown[] = [];
  const onRejection = (reason: unknown) => uncaught.push(reason);
  process.on('unhandledRejection', onRejection);
  const restore = rt.install();
  try {
    const clock = new SimClock(rt);
    const cluster = new FakeCluster(TOPICS, clock);
    if (plan.txnVersion === 2) cluster.features.set('transaction.version', 2);
    cluster.firstEpoch = plan.firstEpoch;
    cluster.maxMessageBytes = plan.maxMessageBytes;
    cluster.startSequencesAt(plan.firstSequence);
    cluster.markerDelayMs = between(rng, 0, 5);
    if (process.env.SIM_VERBOSE) {
      const handle = cluster.handle.bind(cluster);
      cluster.handle = (conn, api, body, answer, version) => {
        log(`  ${api.name} v${version} to node ${conn.nodeId}`);
        handle(conn, api, body, answer, version);
      };
    }
    const injected: Injected[] = [];
    installFaults(cluster, plan, rng, opts, injected, log, 3000);
    log(`plan: ${describePlan(plan)}`);
    const deps = {
      transport: (config: { requestTimeoutMs: number }) => {
        cluster.requestTimeoutMs = config.requestTimeoutMs;
        return cluster;
      },
      clock,
      firstSequence: plan.firstSequence,
      // Hours of events, skipped: the ring's counters and the slots' generations start just below their wrap.
      startCounters: plan.ringBelowWrap === 0 ? {} : { ring: (2 ** 32 - plan.ringBelowWrap) | 0, slotGeneration: (2 ** 31 - plan.ringBelowWrap) | 0 },
    };
    const producer = new KafkaProducer<string, string>({ ...plan.options, [SENDER_DEPS]: deps } as ProducerOptions<string, string>);
    const rec: Recorder = { records: [], calls: [], txns: [], log, now: () => rt.now };
    const workload = new Workload(producer, rng, plan, opts, rec);
    let finished = false;
    let openAfterClose: boolean | null = null;
    const txnId = (plan.options as { transactionalId?: string }).transactionalId;
    // The Sender starts on the first turn; the workload after it, as a user's first call comes after the constructor.
    void new Promise((r) => setTimeout(r, 0))
      .then(() => workload.run())
      .then(() => {
        finished = true;
        if (txnId && workload.closedWithoutTimeout) openAfterClose = cluster.txn.txns.get(txnId)?.state === 'Ongoing';
      });
    const bounds = boundsOf(plan);
    const end = await rt.run(() => finished, START + 60_000 + 4 * bounds.close, MAX_STEPS, uncaught);
    // The coordinator writes the last transaction's markers after it answered: let it finish before reading the logs.
    const markersDone = () => ![...cluster.txn.txns.values()].some((m) => m.state.startsWith('Prepare'));
    if (end === 'done' && !markersDone()) await rt.run(markersDone, rt.now + 1000, MAX_STEPS, uncaught);
    log(`run ended: ${end} after ${rt.steps} steps`);
    if (process.env.SIM_VERBOSE) {
      for (const r of rec.records) log(`record ${r.value} to ${r.topic}-${r.result.partition} sent at ${r.calledAt - START}: ${r.settles === 0 ? 'never settled' : `${r.err ? `${r.err.name}: ${r.err.message.slice(0, 100)}` : 'acknowledged'} at ${r.settledAt - START}`}`);
      for (const [key, part] of cluster.partitions) {
        const entries = [
          ...part.log.map((b) => ({ offset: b.offset, text: `${b.transactional ? 'txn ' : ''}pid ${b.producerId} epoch ${b.epoch} seq ${b.baseSequence}: ${b.values.join(' ')}` })),
          ...part.markers.map((m) => ({ offset: m.offset, text: `${m.commit ? 'COMMIT' : 'ABORT'} marker pid ${m.producerId} epoch ${m.epoch}` })),
        ].sort((a, b) => a.offset - b.offset);
        if (entries.length > 0) log(`log ${key}:\n${entries.map((e) => `          ${e.offset}: ${e.text}`).join('\n')}`);
      }
    }
    const violations = check({ plan, cluster, rec, injected, uncaught, openAfterClose, fatal: workload.fatal, end });
    return { seed, plan, violations, trace, steps: rt.steps, virtualMs: rt.now - START, end };
  } finally {
    restore();
    process.off('unhandledRejection', onRejection);
  }
}

export function describePlan(plan: Plan): string {
  const o = plan.options as unknown as Record<string, unknown>;
  const parts = [
    plan.profile === 'txn' ? `transactional v${plan.txnVersion}` : plan.profile,
    `batchSize ${o.batchSize}`,
    `bufferMemory ${o.bufferMemory}`,
    `maxBatchSize ${o.maxBatchSize}`,
    `lingerMs ${o.lingerMs}`,
    `requestTimeoutMs ${o.requestTimeoutMs}`,
    `deliveryTimeoutMs ${o.deliveryTimeoutMs}`,
    `maxBlockMs ${o.maxBlockMs}`,
    `connectionsPerBroker ${o.connectionsPerBroker}`,
    `compression ${o.compressionType}`,
    `fault rate ${plan.faultRate.toFixed(2)}`,
  ];
  if (plan.ringBelowWrap) parts.push(`event ring ${plan.ringBelowWrap} below 2^32`);
  if (plan.firstEpoch) parts.push(`epochs from ${plan.firstEpoch}`);
  if (plan.firstSequence) parts.push(`sequences from ${plan.firstSequence}`);
  if (Number.isFinite(plan.maxMessageBytes)) parts.push(`max.message.bytes ${plan.maxMessageBytes}`);
  return parts.join(', ');
}
