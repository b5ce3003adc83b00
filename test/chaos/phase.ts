// One chaos phase run in this process: a fresh topic (replication 3,
// min.insync.replicas=2), one producer through the proxies (acks all,
// idempotent: the defaults) that is never recreated, the record stream
// spread over the phase's fault timeline, then every record's outcome
// against what kcat reads back. A record that never settles is a hang and
// is reported as one.

import diagnostics_channel from 'node:diagnostics_channel';
import { CHANNELS, KafkaProducer, type ProducerOptions } from 'kafka-producer-ts';
import { createTopic, uniqueTopic } from '../support/kafka-tools.js';
import type { ProxiedCluster } from '../support/proxied-cluster.js';
import { readBack } from '../support/read-back.js';
import type { Figures } from './judgement.js';
import { Load } from './load.js';
import { Timeline, type Step } from './timeline.js';

export { problems, type Figures } from './judgement.js';

export const PARTITIONS = 6;

export interface FaultContext {
  cluster: ProxiedCluster;
  topic: string;
  load: Load;
  log: (message: string) => void;
}

export interface PhaseSpec {
  name: string;
  cluster: ProxiedCluster;
  records: number;
  valueBytes: number;
  producer: Omit<ProducerOptions, 'bootstrapServers'>;
  steps: (ctx: FaultContext) => Step[];
}

export const log = (phase: string) => (message: string) => console.log(`[chaos ${phase}] ${message}`);

export async function runPhase(spec: PhaseSpec): Promise<Figures> {
  const say = log(spec.name);
  const topic = uniqueTopic(`chaos-${spec.name}`);
  await createTopic(spec.cluster.direct, topic, PARTITIONS, { 'min.insync.replicas': '2' });
  let connectionsOpened = 0;
  const onOpen = () => void connectionsOpened++;
  diagnostics_channel.subscribe(CHANNELS.connectionOpen, onOpen);
  const producer = new KafkaProducer({ bootstrapServers: spec.cluster.bootstrap, ...spec.producer });
  const load = new Load(producer, topic, { valueBytes: spec.valueBytes, capacity: spec.records });
  const timeline = new Timeline(spec.steps({ cluster: spec.cluster, topic, load, log: say }), say);
  const started = performance.now();
  const cpu = process.cpuUsage();
  let unsettled = 0;
  try {
    // Metadata first, so that the stream does not open with sends waiting for it.
    await producer.partitionsFor(topic);
    const faults = timeline.run();
    // A fault script that fails (a broker that does not come back) ends the phase: the stream stops too.
    await Promise.all([load.run({ records: spec.records, msLeft: () => timeline.msLeft(), until: () => timeline.failed }), faults]);
    say(`${load.ledger.sent} records sent, faults done at ${timeline.seconds.toFixed(1)} s; waiting for every outcome`);
    const deadline = performance.now() + (spec.producer.deliveryTimeoutMs ?? 120_000) + 60_000;
    while (load.ledger.settled < load.ledger.sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    unsettled = load.ledger.sent - load.ledger.settled;
    if (unsettled > 0) say(`${unsettled} record(s) never settled; metrics ${JSON.stringify(producer.metrics())}`);
  } finally {
    await producer.close({ timeoutMs: 0 });
    diagnostics_channel.unsubscribe(CHANNELS.connectionOpen, onOpen);
  }
  const seconds = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  const { ledger } = load;
  const metrics = producer.metrics();
  say(`read back with kcat`);
  return {
    phase: spec.name,
    seconds,
    cpuSeconds: (user + system) / 1e6,
    injected: Object.fromEntries(timeline.injected),
    missed: Object.fromEntries(timeline.missed),
    sent: ledger.sent,
    acknowledged: ledger.acknowledged,
    failed: ledger.failed,
    errors: Object.fromEntries([...ledger.errors].map(([k, v]) => [k, { count: v.count, message: v.message }])),
    settledTwice: ledger.settledTwice,
    unsettled,
    retries: metrics.retries,
    epochBumps: metrics.epochBumps,
    connectionsOpened,
    ...(await readBack(spec.cluster.direct, topic, ledger)),
  };
}
