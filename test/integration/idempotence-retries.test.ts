// Idempotence under network faults, on a 3-broker cluster of this file's own
// reached only through test proxies (test/support/proxied-cluster.ts): every
// connection the producer makes, after bootstrap too, goes through a proxy,
// while replication stays direct. While records stream to a topic with
// replication 3 and min.insync.replicas=2, connections are reset
// mid-request, a response is cut mid-frame, one broker's proxy stalls past
// requestTimeoutMs, and a partition leader is SIGKILLed and restarted.
//
// Then every record must have settled once; kcat must read back each
// acknowledged record exactly once, in send order per partition; and
// DumpLogSegments must show per partition one producer id and sequences
// without a hole (KIP-98: a broker appends a batch only at the next
// sequence of its producer id and epoch; a new epoch starts again at 0).

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KafkaProducer } from 'kafka-producer-ts';
import { killNode, restartNode, type ClusterState, type NodeState } from '../../scripts/kafka/broker.js';
import { createTopic, dumpLogSegments, partitionLogFiles, uniqueTopic, type DumpedBatch } from '../support/kafka-tools.js';
import { ProxiedCluster } from '../support/proxied-cluster.js';
import { Ledger, readBack } from '../support/read-back.js';
import type { TcpProxy } from '../support/tcp-proxy.js';

const env = inject('kafka');
const local = env.libsDir !== null;
const NAME = 'eos';
const BASE_PORT = 28092; // brokers 28092, 28094, 28096 (controllers +1)
const PROXY_PORT = 28192; // proxy of node i: 28192 + i - 1
const LISTENER_PORT = 28292; // CLIENT listener of node i, behind its proxy: 28292 + i - 1
const NODES = 3;
const PARTITIONS = 6;
const REQUEST_TIMEOUT_MS = 3000;

let cluster: ProxiedCluster;
let state: ClusterState;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => console.log(`[idempotence-retries] ${msg}`);

interface FaultContext {
  topic: string;
  producer: KafkaProducer;
  /** Stream time: ms since the first send. */
  elapsed: () => number;
  leaderOf: (partition: number) => Promise<number>;
  proxyOf: (nodeId: number) => TcpProxy;
  /** Nodes SIGKILLed at some point (their logs may lag: DumpLogSegments reads another). */
  killed: Set<number>;
}

interface ScenarioResult {
  sent: number;
  acknowledged: number;
  failed: number;
  settledTwice: number;
  retries: number;
  readBack: number;
  duplicates: number;
  missing: number;
  outOfOrder: number;
  offsetMismatches: number;
  producerIdsPerPartition: number[];
  epochBumps: number;
  /** The producer's own count of epoch bumps (metrics().epochBumps). */
  producerEpochBumps: number;
  sequenceBreaks: string[];
  failureMessages: string[];
}

/**
 * Streams `n` records (value: the counter; partition: counter mod
 * PARTITIONS) paced over about `streamMs` while `faults` runs, then checks
 * what landed. Returns the figures; the assertions are the caller's.
 */
async function runScenario(
  label: string,
  n: number,
  streamMs: number,
  faults: (ctx: FaultContext) => Promise<void>,
  options: { deliveryTimeoutMs?: number } = {},
): Promise<ScenarioResult> {
  const topic = uniqueTopic(`eos-${label}`);
  await createTopic(state.bootstrap, topic, PARTITIONS, { 'min.insync.replicas': '2' });
  const retryReasons = new Map<string, number>();
  const producer = new KafkaProducer({
    bootstrapServers: cluster.bootstrap,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    retryBackoffMaxMs: 500,
    ...options,
    logger: {
      debug: () => {},
      info: () => {},
      warn: (message: string, context?: object) => {
        // "Retrying 17 record(s) for t-3 ...: <error> [broker ...]" counts as "Retrying: <error>".
        const error = (context as { error?: { message?: string } | null } | undefined)?.error?.message ?? '';
        const reason = `${message.split(' ')[0]}: ${error.split(' [broker')[0]}`.replace(/\d+/g, '#');
        retryReasons.set(reason, (retryReasons.get(reason) ?? 0) + 1);
      },
      error: () => {},
    },
  });
  const ledger = new Ledger(n);
  const killed = new Set<number>();
  const started = Date.now();
  const ctx: FaultContext = {
    topic,
    producer,
    elapsed: () => Date.now() - started,
    leaderOf: async (partition) => ((await producer.partitionsFor(topic)).find((x) => x.partition === partition)?.leader ?? -1) as number,
    proxyOf: (nodeId) => cluster.proxyOf(nodeId),
    killed,
  };
  try {
    const faultsDone = faults(ctx).catch((err: unknown) => {
      log(`${label}: fault script failed: ${(err as Error).stack ?? String(err)}`);
      throw err;
    });
    const chunk = 100;
    const pause = Math.max(1, Math.floor(streamMs / (n / chunk)));
    for (let i = 0; i < n; i++) {
      producer.send({ topic, partition: i % PARTITIONS, value: String(i) }, ledger.record());
      if (i % chunk === chunk - 1) {
        if (producer.needsDrain) await producer.ready();
        await sleep(pause);
      }
    }
    log(`${label}: ${n} sent in ${ctx.elapsed()} ms`);
    await faultsDone;
    // A hang is a finding too: wait at most a minute past the faults, then report what is still open.
    const deadline = Date.now() + 60_000;
    while (ledger.settled < n && Date.now() < deadline) await sleep(50);
    if (ledger.settled < n) log(`${label}: ${n - ledger.settled} record(s) never settled (metrics ${JSON.stringify(producer.metrics())})`);
    expect(ledger.settled, 'records settled (a shortfall is a hang)').toBeGreaterThanOrEqual(n);
  } finally {
    await producer.close();
  }
  const retries = producer.metrics().retries;
  log(`${label}: settled in ${ctx.elapsed()} ms; warnings by reason: ${JSON.stringify([...retryReasons].sort((a, b) => b[1] - a[1]))}`);

  // Read back with kcat, on the direct PLAINTEXT listeners (no proxy).
  const read = await readBack(cluster.direct, topic, ledger);

  // DumpLogSegments over each partition's log on a node that was never killed,
  // once it holds as many records as kcat read (a follower may lag a little).
  const node = state.nodes.find((x) => !killed.has(x.nodeId)) as NodeState;
  const dumpEnv = { ...env, libsDir: state.libsDir, logDirs: [node.logDir], bootstrap: state.bootstrap };
  let batchesByPartition: DumpedBatch[][] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const files = Array.from({ length: PARTITIONS }, (_, p) => partitionLogFiles(dumpEnv, topic, p));
    const dumped = await dumpLogSegments(dumpEnv, files.flat());
    batchesByPartition = files.map((fs) => fs.flatMap((f) => dumped.get(f) ?? []).filter((b) => b.isControl !== 'true'));
    const records = batchesByPartition.flat().reduce((s, b) => s + Number(b.count), 0);
    if (records >= read.readBack) break;
    await sleep(1000);
  }
  const producerIdsPerPartition: number[] = [];
  const sequenceBreaks: string[] = [];
  let epochBumps = 0;
  batchesByPartition.forEach((batches, partition) => {
    producerIdsPerPartition.push(new Set(batches.map((b) => b.producerId)).size);
    let prev: DumpedBatch | undefined;
    for (const b of batches) {
      const at = `partition ${partition} offset ${b.baseOffset}`;
      if (prev) {
        const [pid, epoch, base] = [Number(b.producerId), Number(b.producerEpoch), Number(b.baseSequence)];
        const [prevPid, prevEpoch, prevLast] = [Number(prev.producerId), Number(prev.producerEpoch), Number(prev.lastSequence)];
        if (pid !== prevPid) {
          sequenceBreaks.push(`${at}: producer id ${prevPid} -> ${pid} (sequence ${prevLast} -> ${base})`);
        } else if (epoch !== prevEpoch) {
          epochBumps++;
          if (epoch < prevEpoch || base !== 0) sequenceBreaks.push(`${at}: epoch ${prevEpoch} -> ${epoch} with sequence ${prevLast} -> ${base}`);
        } else if (base !== (prevLast + 1) % 2 ** 31) {
          sequenceBreaks.push(`${at}: sequence ${prevLast} -> ${base} under producer id ${pid} epoch ${epoch}`);
        }
      } else if (Number(b.baseSequence) !== 0) {
        sequenceBreaks.push(`${at}: first batch starts at sequence ${b.baseSequence}`);
      }
      prev = b;
    }
  });

  const result: ScenarioResult = {
    sent: n,
    acknowledged: ledger.acknowledged,
    failed: ledger.failed,
    settledTwice: ledger.settledTwice,
    retries,
    readBack: read.readBack,
    duplicates: read.duplicated,
    missing: read.lost,
    outOfOrder: read.outOfOrder,
    offsetMismatches: read.offsetMismatches,
    producerIdsPerPartition,
    epochBumps,
    producerEpochBumps: producer.metrics().epochBumps,
    sequenceBreaks,
    failureMessages: [...ledger.errors].map(([cls, e]) => `${cls}: ${e.message}`),
  };
  log(`${label}: ${JSON.stringify(result)}`);
  return result;
}

/**
 * The invariants, soft so that one failing does not hide the others.
 * `expiries`: batches were let expire, so records may fail, and a failed
 * record may still be in the log (its outcome was unknown): read back at
 * least every acknowledged one, still each once and in order.
 */
function expectExactlyOnce(r: ScenarioResult, expiries = false): void {
  expect.soft(r.settledTwice, 'records settled twice').toBe(0);
  expect.soft(r.acknowledged + r.failed, 'acknowledged + failed = sent').toBe(r.sent);
  if (expiries) expect.soft(r.failureMessages.every((m) => m.startsWith('KafkaTimeoutError: Expiring')), `failures are expiries: ${r.failureMessages.join(' | ')}`).toBe(true);
  else expect.soft(r.failureMessages, 'failures (deliveryTimeoutMs is far off)').toEqual([]);
  expect.soft(r.duplicates, 'duplicates read back').toBe(0);
  expect.soft(r.missing, 'acknowledged records missing (gaps)').toBe(0);
  expect.soft(r.outOfOrder, 'records out of order in their partition').toBe(0);
  expect.soft(r.offsetMismatches, 'acknowledged offsets not holding their record').toBe(0);
  if (expiries) expect.soft(r.readBack, 'records read back').toBeGreaterThanOrEqual(r.acknowledged);
  else expect.soft(r.readBack, 'records read back').toBe(r.acknowledged);
  expect.soft(r.producerIdsPerPartition, 'producer ids per partition').toEqual(Array.from({ length: PARTITIONS }, () => 1));
  expect.soft(r.sequenceBreaks, 'sequence breaks in the log').toEqual([]);
}

describe.skipIf(!local)('idempotence through resets, cut responses, a stall and a killed leader (3 brokers behind proxies)', () => {
  beforeAll(async () => {
    cluster = await ProxiedCluster.start({ name: NAME, nodes: NODES, version: env.version, basePort: BASE_PORT, proxyPort: PROXY_PORT, listenerPort: LISTENER_PORT });
    state = cluster.state;
  });

  afterAll(async () => {
    await cluster.stop();
  });

  it('every fault in one stream: resets, a cut response, a stall past requestTimeoutMs, a SIGKILLed leader', { timeout: 240_000 }, async () => {
    const r = await runScenario('all', 60_000, 30_000, async (ctx) => {
      const at = async (ms: number) => {
        while (ctx.elapsed() < ms) await sleep(20);
      };
      const say = (what: string) => log(`t=${ctx.elapsed()} ${what}`);
      await at(2_000);
      for (const p of cluster.proxies.values()) p.resetAll();
      say('reset every connection on every proxy');

      await at(4_000);
      const l0 = await ctx.leaderOf(0);
      ctx.proxyOf(l0).resetAll();
      say(`reset node ${l0}'s connections (leader of partition 0)`);

      await at(6_000);
      const l1 = await ctx.leaderOf(1);
      const cutProxy = ctx.proxyOf(l1);
      cutProxy.cutNextResponse({ apiKey: 0 });
      while (cutProxy.cutPending && ctx.elapsed() < 8_000) await sleep(10);
      say(`cut a Produce response mid-frame from node ${l1} (leader of partition 1): ${cutProxy.cutPending ? 'NOT DONE' : 'done'}`);

      await at(8_000);
      const l2 = await ctx.leaderOf(2);
      ctx.proxyOf(l2).stall();
      say(`stalled node ${l2}'s proxy (leader of partition 2)`);
      await sleep(REQUEST_TIMEOUT_MS + 2_000);
      ctx.proxyOf(l2).resume();
      say(`resumed node ${l2}'s proxy`);

      await at(15_000);
      const l3 = await ctx.leaderOf(3);
      const victim = state.nodes.find((x) => x.nodeId === l3) as NodeState;
      ctx.killed.add(l3);
      await killNode(victim);
      say(`SIGKILLed node ${l3} (leader of partition 3)`);
      await sleep(2_000);
      const back = restartNode(state, l3).then(() => say(`node ${l3} is back and answering`));

      // Slow and fragmented responses from a survivor meanwhile.
      await at(20_000);
      const slow = await ctx.leaderOf(4);
      ctx.proxyOf(slow).delayResponses(300);
      say(`delaying node ${slow}'s responses by 300 ms (leader of partition 4)`);
      await sleep(3_000);
      ctx.proxyOf(slow).delayResponses(0);
      ctx.proxyOf(slow).byteByByte(true);
      say(`node ${slow}'s responses one byte at a time`);
      await sleep(2_000);
      ctx.proxyOf(slow).byteByByte(false);
      say(`node ${slow}'s responses whole again`);

      await back;
      for (const p of cluster.proxies.values()) p.resetAll();
      say('reset every connection on every proxy again');
      const cuts = [...cluster.proxies.values()].reduce((s, p) => s + p.stats.cuts, 0);
      const resets = [...cluster.proxies.values()].reduce((s, p) => s + p.stats.resets, 0);
      log(`proxies: ${resets} connection(s) reset, ${cuts} response(s) cut`);
      expect.soft(cuts, 'responses cut').toBe(1);
    });
    // The faults reached the producer: it had to retry.
    expect.soft(r.retries).toBeGreaterThan(0);
    expectExactlyOnce(r);
  });

  it('a stall past deliveryTimeoutMs: batches expire in flight, the epoch is bumped (KIP-360), nothing is written twice', { timeout: 240_000 }, async () => {
    const r = await runScenario(
      'expire',
      30_000,
      20_000,
      async (ctx) => {
        while (ctx.elapsed() < 4_000) await sleep(20);
        const leader = await ctx.leaderOf(0);
        ctx.proxyOf(leader).stall();
        log(`t=${ctx.elapsed()} stalled node ${leader}'s proxy (leader of partition 0) past deliveryTimeoutMs`);
        await sleep(9_000);
        ctx.proxyOf(leader).resume();
        log(`t=${ctx.elapsed()} resumed node ${leader}'s proxy`);
      },
      { deliveryTimeoutMs: 6_000 },
    );
    expect.soft(r.failed, 'records that expired').toBeGreaterThan(0);
    expect.soft(r.producerEpochBumps, 'epoch bumps the producer made').toBeGreaterThan(0);
    expect.soft(r.epochBumps, 'epoch bumps seen in the log').toBeGreaterThan(0);
    expectExactlyOnce(r, true);
  });
});
