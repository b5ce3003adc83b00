// npm run demo: starts a local Kafka broker unless KAFKA_BROKERS names one,
// then repeats the classic producer experiment: 10,000 messages sent each of
// the three ways (fire-and-forget, synchronous, asynchronous with callbacks),
// timing each; then keyed records, a custom partitioner, a JSON value
// serializer, and a transaction committed and one aborted. A broker it
// started is stopped before it exits.

import { KafkaProducer, type RecordMetadata } from '../src/index.js';
import { isAlive, readState, startCluster, stopCluster } from './kafka/broker.js';
import { Topics } from './kafka/topics.js';

const MESSAGES = 10_000;

async function main(): Promise<void> {
  let bootstrap = process.env.KAFKA_BROKERS?.trim();
  let startedHere = false;
  if (!bootstrap) {
    const before = readState('single');
    startedHere = !(before && before.nodes.every((n) => isAlive(n.pid)));
    const t0 = performance.now();
    const state = await startCluster({ name: 'single' });
    bootstrap = state.bootstrap;
    console.log(`broker: Apache Kafka ${state.version} at ${bootstrap}${startedHere ? ` (started in ${seconds(t0)} s)` : ' (already running)'}`);
  } else {
    console.log(`broker: ${bootstrap} (KAFKA_BROKERS)`);
  }
  try {
    await run(bootstrap);
  } finally {
    if (startedHere) {
      await stopCluster('single');
      console.log('\nbroker stopped (it was started by this demo)');
    }
  }
}

async function run(bootstrap: string): Promise<void> {
  const suffix = Date.now().toString(36);
  const topics = { threeWays: `demo-three-ways-${suffix}`, orders: `demo-orders-${suffix}`, events: `demo-events-${suffix}`, transfers: `demo-transfers-${suffix}` };
  const admin = new Topics(bootstrap, 'demo-admin');
  try {
    await Promise.all([admin.create(topics.threeWays, 3), admin.create(topics.orders, 4), admin.create(topics.events, 3), admin.create(topics.transfers, 3)]);
  } finally {
    await admin.close();
  }

  // lingerMs 0 as in kafka-python's defaults (linger_ms=0): with the
  // Java default of 5 ms, each awaited send would first wait those 5 ms.
  const producer = new KafkaProducer({ bootstrapServers: bootstrap, clientId: 'demo', lingerMs: 0 });
  await producer.partitionsFor(topics.threeWays);
  console.log(`\n${MESSAGES.toLocaleString('en')} messages of ~100 bytes to ${topics.threeWays}, acks=all, idempotent, lingerMs 0:`);

  let t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) producer.send({ topic: topics.threeWays, value: message(i, 'fire-and-forget') });
  await producer.flush();
  console.log(`  fire-and-forget (send, then flush):  ${seconds(t0)} s`);

  t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) await producer.send({ topic: topics.threeWays, value: message(i, 'synchronous') });
  console.log(`  synchronous (await every send):      ${seconds(t0)} s`);

  t0 = performance.now();
  let acked = 0;
  let failed = 0;
  await new Promise<void>((resolve) => {
    const onDone = (err: Error | null) => {
      if (err) failed++;
      else acked++;
      if (acked + failed === MESSAGES) resolve();
    };
    for (let i = 0; i < MESSAGES; i++) producer.send({ topic: topics.threeWays, value: message(i, 'callback') }, onDone);
  });
  console.log(`  asynchronous (callbacks):            ${seconds(t0)} s  (${acked} acknowledged, ${failed} failed)`);

  console.log(`\nkeyed records to ${topics.orders}: the same key always lands on the same partition (Java's murmur2)`);
  for (const customer of ['alice', 'bob', 'carol']) {
    const placed: RecordMetadata[] = [];
    for (let n = 1; n <= 3; n++) placed.push(await producer.send({ topic: topics.orders, key: customer, value: `order ${n} of ${customer}` }));
    console.log(`  key ${customer.padEnd(6)} -> partition ${placed[0]?.partition}, offsets ${placed.map((m) => m.offset).join(', ')}`);
  }
  await producer.close();

  console.log(`\na custom partitioner and a JSON value serializer, to ${topics.events}:`);
  const levels = ['debug', 'info', 'error'];
  const json = new KafkaProducer({
    bootstrapServers: bootstrap,
    clientId: 'demo-json',
    // Route by severity: each level gets its own partition.
    partitioner: (_topic, _key, value, count) => {
      const level = typeof value === 'string' ? (JSON.parse(value) as { level: string }).level : 'info';
      return Math.max(0, levels.indexOf(level)) % count;
    },
    valueSerializer: (v: { level: string; message: string; at: string }) => JSON.stringify(v),
  });
  for (const [i, level] of ['info', 'error', 'debug', 'error'].entries()) {
    const md = await json.send({ topic: topics.events, value: { level, message: `event ${i}`, at: new Date().toISOString() } });
    console.log(`  ${level.padEnd(5)} -> partition ${md.partition}, offset ${md.offset}`);
  }
  await json.close();

  await transactions(bootstrap, topics.transfers, suffix);
  console.log('\nproducers closed');
}

/** A transaction of three records committed, then one aborted: read_committed consumers see only the first. */
async function transactions(bootstrap: string, topic: string, suffix: string): Promise<void> {
  console.log(`\ntransactions to ${topic}:`);
  const producer = new KafkaProducer({ bootstrapServers: bootstrap, clientId: 'demo-txn', transactionalId: `demo-transfers-${suffix}` });
  await producer.initTransactions();

  producer.beginTransaction();
  const sends = ['debit alice 10', 'credit bob 10', 'fee 0'].map((value) => producer.send({ topic, key: 'transfer-1', value }));
  await producer.commitTransaction();
  const placed = await Promise.all(sends);
  console.log(`  committed: 3 records on partition ${placed[0]?.partition}, offsets ${placed.map((m) => m.offset).join(', ')}`);

  producer.beginTransaction();
  const written = await producer.send({ topic, key: 'transfer-2', value: 'debit carol 99' });
  await producer.abortTransaction();
  console.log(`  aborted: a record written at partition ${written.partition}, offset ${written.offset}, which read_committed consumers skip`);
  await producer.close();
}

function message(i: number, way: string): string {
  return JSON.stringify({ n: i, way, payload: 'x'.repeat(50) });
}

function seconds(t0: number): string {
  return ((performance.now() - t0) / 1000).toFixed(2);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
