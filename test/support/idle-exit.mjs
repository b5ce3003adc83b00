// Run as a child process by test/integration/idle-exit.test.ts: sends one
// record and never calls close() nor process.exit. An idle producer must not
// hold the process (the Java client's sender thread is a daemon), while a
// record still pending must: "await" sends and awaits it, "forget" sends it
// and ends the script at once, "transaction" sends it in a transaction and
// starts its commit without awaiting either.
import { KafkaProducer } from '../../dist/src/index.js';

const [bootstrap, topic, host, mode] = process.argv.slice(2);
const transactionalId = mode === 'transaction' ? `${topic}-tx` : undefined;
const producer = new KafkaProducer({ bootstrapServers: bootstrap, worker: host === 'worker', transactionalId });
const value = `${mode}-${host}`;
if (mode === 'transaction') {
  await producer.initTransactions();
  producer.beginTransaction();
  producer.send({ topic, value });
  void producer.commitTransaction();
  console.log('commit started, not awaited');
} else if (mode === 'await') {
  const metadata = await producer.send({ topic, value });
  console.log(`delivered at offset ${metadata.offset}`);
} else {
  producer.send({ topic, value });
  console.log('sent, not awaited');
}
