// Phase "outage" (issue 9, point 4), the cluster's side: the application
// (outage-app.ts) runs in a child process under full load; here the whole
// cluster is SIGKILLed for 60 s and restarted, then every proxy stalls
// while the application closes its producer with records being retried.
// The checks: RSS within the idle baseline + bufferMemory + 64 MiB while
// the cluster is down; sends failing with BufferExhaustedError after
// maxBlockMs and KafkaTimeoutError after deliveryTimeoutMs, and nothing
// else; acknowledgements coming again by themselves; close() waiting its
// timeout, then failing the rest with ProducerClosedError; nothing of the
// producer's left active after close(); and the read-back checks of every
// phase.

import { fork } from 'node:child_process';
import { killNode } from '../../scripts/kafka/broker.js';
import { createTopic, uniqueTopic } from '../support/kafka-tools.js';
import type { ProxiedCluster } from '../support/proxied-cluster.js';
import type { FromApp, OutageAppArgs, OutageReport, ToApp } from './outage-app.js';
import { log, PARTITIONS, problems as phaseProblems, type Figures } from './phase.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const say = log('outage');

const OUTAGE_MS = 60_000;
/** Full load before the cluster goes down. */
const LOADED_MS = 5_000;
const BUFFER_MEMORY = 32 * 2 ** 20;
const HEADROOM_MB = 64;
const PRODUCER = { bufferMemory: BUFFER_MEMORY, maxBlockMs: 5_000, deliveryTimeoutMs: 20_000, requestTimeoutMs: 5_000 };

export type OutageFigures = Figures & OutageReport & { downSeconds: number; restartSeconds: number; limitMb: number; execArgv: string[] };

export async function runOutage(cluster: ProxiedCluster, opts: { valueBytes: number; capacity: number; execArgv: string[] }): Promise<OutageFigures> {
  const topic = uniqueTopic('chaos-outage');
  await createTopic(cluster.direct, topic, PARTITIONS, { 'min.insync.replicas': '2' });
  const args: OutageAppArgs = {
    bootstrap: cluster.bootstrap,
    direct: cluster.direct,
    topic,
    valueBytes: opts.valueBytes,
    capacity: opts.capacity,
    producer: PRODUCER,
    closeTimeoutMs: 5_000,
    closeRecords: 2_000,
  };
  const started = performance.now();
  const app = fork(new URL('./outage-app.js', import.meta.url), [], {
    env: { ...process.env, CHAOS_OUTAGE_ARGS: JSON.stringify(args) },
    execArgv: opts.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => app.on('exit', (code) => resolve(code)));
  const inbox: FromApp[] = [];
  const waiters: (() => void)[] = [];
  app.on('message', (m: FromApp) => {
    inbox.push(m);
    for (const w of waiters.splice(0)) w();
  });
  const tell = (m: ToApp) => app.send(m);
  /** The app's next message of type t; fails if the app exits first. */
  const expect = async <T extends FromApp['t']>(t: T): Promise<Extract<FromApp, { t: T }>> => {
    for (;;) {
      const i = inbox.findIndex((m) => m.t === t);
      if (i >= 0) return inbox.splice(i, 1)[0] as Extract<FromApp, { t: T }>;
      const code = await Promise.race([exited, new Promise<undefined>((r) => waiters.push(() => r(undefined)))]);
      if (code !== undefined && !inbox.some((m) => m.t === t)) throw new Error(`the outage app exited with ${code} before '${t}'`);
    }
  };

  const nodes = cluster.state.nodes;
  let downSeconds = 0;
  let restartSeconds = 0;
  try {
    await expect('warm');
    await sleep(LOADED_MS);
    const down = performance.now();
    await Promise.all(nodes.map((n) => killNode(n)));
    tell({ t: 'outage-start' });
    say(`SIGKILLed every node under full load; down for ${OUTAGE_MS / 1000} s`);
    await sleep(OUTAGE_MS);
    const restart = performance.now();
    downSeconds = (restart - down) / 1000;
    await cluster.restart(nodes.map((n) => n.nodeId));
    restartSeconds = (performance.now() - restart) / 1000;
    tell({ t: 'back' });
    say(`every node answers again (restart took ${restartSeconds.toFixed(1)} s)`);
    await expect('resumed');
    await cluster.waitInSync(topic);
    await expect('stall-me');
    for (const p of cluster.proxies.values()) p.stall();
    tell({ t: 'stalled' });
    await expect('closed');
  } catch (err) {
    app.kill();
    throw err;
  } finally {
    for (const p of cluster.proxies.values()) p.resume();
  }
  const { report } = await expect('report');
  const code = await exited;
  if (code !== 0) throw new Error(`the outage app exited with ${code}`);
  return {
    phase: 'outage',
    seconds: (performance.now() - started) / 1000,
    injected: { [`whole cluster SIGKILLed under full load, down ${OUTAGE_MS / 1000} s, restarted`]: 1, 'every proxy stalled, then close() with records being retried': 1 },
    missed: {},
    ...report,
    downSeconds,
    restartSeconds,
    limitMb: Math.round(report.baselineRssMb + BUFFER_MEMORY / 2 ** 20 + HEADROOM_MB),
    execArgv: opts.execArgv,
  };
}

/** The invariants of this phase, beyond those of every phase. */
export function outageProblems(o: OutageFigures): string[] {
  const out = phaseProblems(o);
  const expect = (ok: boolean, what: string) => {
    if (!ok) out.push(`outage: ${what}`);
  };
  expect(o.peakRssMb.outage <= o.limitMb, `peak RSS while the cluster was down ${o.peakRssMb.outage} MB > idle ${o.baselineRssMb} MB + bufferMemory + ${HEADROOM_MB} MB = ${o.limitMb} MB`);
  const exhausted = o.errors.BufferExhaustedError;
  const expired = o.errors.KafkaTimeoutError;
  expect((exhausted?.count ?? 0) > 0, 'no send failed with BufferExhaustedError (maxBlockMs) while the cluster was down');
  expect((expired?.count ?? 0) > 0, 'no record failed with KafkaTimeoutError (deliveryTimeoutMs) while the cluster was down');
  // A waiting send fails once maxBlockMs has passed since send(), not before.
  if (exhausted) expect(exhausted.minMs >= PRODUCER.maxBlockMs - 20, `a BufferExhaustedError came ${exhausted.minMs} ms after send(), before maxBlockMs (${PRODUCER.maxBlockMs})`);
  // deliveryTimeoutMs bounds the time from send() returning to the outcome; send() may wait maxBlockMs first. 5 s of slack for a busy machine.
  const bound = PRODUCER.maxBlockMs + PRODUCER.deliveryTimeoutMs + 5_000;
  if (expired) expect(expired.maxMs <= bound, `a KafkaTimeoutError came ${expired.maxMs} ms after send(), past maxBlockMs + deliveryTimeoutMs (+5 s)`);
  const expected = new Set(['BufferExhaustedError', 'KafkaTimeoutError', 'ProducerClosedError']);
  for (const [name, e] of Object.entries(o.errors)) expect(expected.has(name), `unexpected failures: ${e.count} ${name}: ${e.message}`);
  expect(o.resumedAfterMs !== null, 'no acknowledgement came back within 180 s of the cluster answering again');
  const c = o.close;
  expect(c.tookMs >= c.timeoutMs, `close({ timeoutMs: ${c.timeoutMs} }) returned after ${c.tookMs} ms, before its timeout, with records still being retried`);
  expect(c.closedErrors > 0, 'close() failed no record with ProducerClosedError, though the proxies stalled');
  expect(c.otherErrors === 0, `${c.otherErrors} record(s) sent before close() failed with something else than ProducerClosedError`);
  expect(c.acknowledged + c.closedErrors + c.otherErrors === c.records, `close(): acknowledged ${c.acknowledged} + ProducerClosedError ${c.closedErrors} + other ${c.otherErrors} != ${c.records} sent`);
  expect(c.unsettled === 0, `${c.unsettled} record(s) without an outcome after close()`);
  expect(Object.keys(o.leaked).length === 0, `active after close() and not before the producer: ${JSON.stringify(o.leaked)}`);
  return out;
}
