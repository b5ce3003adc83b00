// npm run chaos: the producer on its worst day (issue 9, points 1, 2 and 4)
// against a 3-broker cluster of its own (replication 3,
// min.insync.replicas=2, acks all, idempotent), every client connection
// through a test proxy. Phases, each on its own topic with its own
// producer: "brokers" (broker failures, brokers.ts), "network" (proxy
// faults, network.ts), "outage" (the cluster down 60 s under full load,
// memory, close(), leftovers: outage.ts). Prints the figures and exits
// non-zero, saying why, when a record is lost, duplicated, out of order or
// unaccounted for, or a check of the outage phase fails.
//
//   CHAOS_RECORDS=n       records per phase "brokers" and "network" (default 1,000,000)
//   CHAOS_PHASES=a,b      the phases to run (default brokers,network,outage)
//   CHAOS_VALUE_BYTES=n   value size (default 100)
//   CHAOS_OUTAGE_VALUE_BYTES=n  value size in phase "outage" (default 1024)
//   CHAOS_OUTAGE_EXEC_ARGV="..." node flags of the outage app (default none:
//                         Node's defaults; e.g. "--max-semi-space-size=2",
//                         the README's setting where RSS matters)
//   KAFKA_VERSION         the brokers' Kafka release (scripts/kafka/provision.ts)
//
// Ports (127.0.0.1): brokers 27092-27097 (controllers on the odd ones),
// proxies 27192-27194, the brokers' proxied CLIENT listeners 27292-27294.

import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { stopCluster } from '../../scripts/kafka/broker.js';
import { kafkaVersion } from '../../scripts/kafka/provision.js';
import { provisionKcat } from '../../scripts/tools/provision-tools.js';
import { ProxiedCluster } from '../support/proxied-cluster.js';
import { brokerSteps } from './brokers.js';
import { networkSteps, NETWORK_REQUEST_TIMEOUT_MS } from './network.js';
import { outageProblems, runOutage } from './outage.js';
import { problems, runPhase, type Figures } from './phase.js';

const NAME = 'chaos';
const NODES = 3;
const BASE_PORT = 27092;
const PROXY_PORT = 27192;
const LISTENER_PORT = 27292;
const PHASES = ['brokers', 'network', 'outage'] as const;

function envNumber(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v.replaceAll('_', ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${v}: a positive whole number, please`);
  return n;
}

async function portFree(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port }, () => server.close(() => resolve(true)));
  });
}

const fmt = (n: number) => n.toLocaleString('en-US');

function print(f: Figures): void {
  const lines = [
    `== phase ${f.phase}: ${f.seconds.toFixed(0)} s, ${f.cpuSeconds.toFixed(0)} s of CPU in the producer's process`,
    `faults injected: ${Object.entries(f.injected).map(([k, n]) => `${n} x ${k}`).join('; ') || 'none'}`,
    ...(Object.keys(f.missed).length > 0 ? [`faults NOT injected: ${Object.entries(f.missed).map(([k, n]) => `${n} x ${k}`).join('; ')}`] : []),
    `records: sent ${fmt(f.sent)}, acknowledged ${fmt(f.acknowledged)}, failed ${fmt(f.failed)}, read back ${fmt(f.readBack)}, lost ${f.lost}, duplicated ${f.duplicated}, out of order ${f.outOfOrder}, offset mismatches ${f.offsetMismatches}, never settled ${f.unsettled}, settled twice ${f.settledTwice}`,
    `failed, yet in the log (their outcome was unknown when they failed): ${Object.entries(f.failedButWritten).map(([k, n]) => `${k} ${fmt(n)}`).join('; ') || 'none'}`,
    `failures by class: ${Object.entries(f.errors).map(([k, e]) => `${k} ${fmt(e.count)} ("${e.message.slice(0, 160)}")`).join('; ') || 'none'}`,
    `producer: ${fmt(f.retries)} retries, ${f.epochBumps} epoch bumps, ${f.connectionsOpened} connections opened`,
  ];
  console.log(lines.join('\n'));
}

async function main(): Promise<number> {
  const records = envNumber('CHAOS_RECORDS', 1_000_000);
  const valueBytes = envNumber('CHAOS_VALUE_BYTES', 100);
  const outageValueBytes = envNumber('CHAOS_OUTAGE_VALUE_BYTES', 1024);
  const outageExecArgv = (process.env.CHAOS_OUTAGE_EXEC_ARGV ?? '').split(' ').filter((a) => a !== '');
  const phases = (process.env.CHAOS_PHASES ?? PHASES.join(',')).split(',').map((p) => p.trim());
  for (const p of phases) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`CHAOS_PHASES: no phase "${p}" (phases: ${PHASES.join(', ')})`);
  provisionKcat();

  // A cluster of this name left by a run that died is stopped; ports someone else holds are an error, not a fight.
  await stopCluster(NAME);
  const ports = [
    ...Array.from({ length: 2 * NODES }, (_, i) => BASE_PORT + i),
    ...Array.from({ length: NODES }, (_, i) => PROXY_PORT + i),
    ...Array.from({ length: NODES }, (_, i) => LISTENER_PORT + i),
  ];
  const taken = [];
  for (const p of ports) if (!(await portFree(p))) taken.push(p);
  if (taken.length > 0) throw new Error(`ports ${taken.join(', ')} on 127.0.0.1 are in use: the chaos run needs ${ports.join(', ')}`);

  const started = performance.now();
  console.log(`[chaos] Kafka ${kafkaVersion()}, ${NODES} brokers; ${fmt(records)} records of ${valueBytes} B per phase brokers and network; phases ${phases.join(', ')}`);
  const cluster = await ProxiedCluster.start({ name: NAME, nodes: NODES, version: kafkaVersion(), basePort: BASE_PORT, proxyPort: PROXY_PORT, listenerPort: LISTENER_PORT });
  console.log(`[chaos] cluster up in ${cluster.state.startSeconds.toFixed(1)} s: brokers ${cluster.direct}, proxies ${cluster.bootstrap}`);
  const results: Figures[] = [];
  const found: string[] = [];
  try {
    for (const phase of phases) {
      if (phase === 'brokers') {
        const f = await runPhase({ name: phase, cluster, records, valueBytes, producer: {}, steps: brokerSteps });
        results.push(f);
        found.push(...problems(f));
      } else if (phase === 'network') {
        const f = await runPhase({ name: phase, cluster, records, valueBytes, producer: { requestTimeoutMs: NETWORK_REQUEST_TIMEOUT_MS }, steps: networkSteps });
        results.push(f);
        found.push(...problems(f));
      } else {
        const f = await runOutage(cluster, { valueBytes: outageValueBytes, capacity: 2_000_000, execArgv: outageExecArgv });
        results.push(f);
        found.push(...outageProblems(f));
        console.log(`outage: memory every 5 s (s window rss/heapUsed/heapTotal/arrayBuffers MB): ${f.memoryTrace.map((m) => `${m.s} ${m.window} ${m.rssMb}/${m.heapUsedMb}/${m.heapTotalMb}/${m.arrayBuffersMb}`).join(', ')}`);
        console.log(
          `outage (node ${f.execArgv.join(' ') || 'defaults'}): idle baseline RSS ${f.baselineRssMb} MB; peak RSS before ${f.peakRssMb.beforeOutage} MB, while the cluster was down ${f.peakRssMb.outage} MB (limit ${f.limitMb} MB), after ${f.peakRssMb.afterOutage} MB; ` +
            `down ${f.downSeconds.toFixed(0)} s + restart ${f.restartSeconds.toFixed(0)} s; acknowledgements again ${f.resumedAfterMs} ms after the cluster answered; ` +
            `close(): ${f.close.records} records, timeout ${f.close.timeoutMs} ms, took ${f.close.tookMs} ms, ${f.close.acknowledged} acknowledged, ${f.close.closedErrors} ProducerClosedError, ${f.close.otherErrors} other ${JSON.stringify(f.close.messages)}; ` +
            `left active after close(): ${JSON.stringify(f.leaked)}`,
        );
      }
      print(results.at(-1) as Figures);
    }
  } finally {
    await cluster.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/chaos.json', JSON.stringify({ records, valueBytes, seconds, phases: results, problems: found }, null, 2));
  const total = (k: 'sent' | 'acknowledged' | 'failed' | 'readBack' | 'lost' | 'duplicated' | 'outOfOrder') => fmt(results.reduce((s, f) => s + f[k], 0));
  const faults = results.reduce((s, f) => s + Object.values(f.injected).reduce((a, b) => a + b, 0), 0);
  console.log(
    `\n[chaos] ${seconds.toFixed(0)} s; ${faults} faults injected; records sent ${total('sent')}, acknowledged ${total('acknowledged')}, failed ${total('failed')}, read back ${total('readBack')}, lost ${total('lost')}, duplicated ${total('duplicated')}, out of order ${total('outOfOrder')}`,
  );
  if (found.length > 0) {
    console.log(`[chaos] FAILED:\n${found.map((p) => `  - ${p}`).join('\n')}`);
    return 1;
  }
  console.log('[chaos] passed: every acknowledged record read back once, in order; acknowledged + failed = sent');
  return 0;
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(`[chaos] FAILED: ${(err as Error).stack ?? String(err)}`);
  return 1;
});
