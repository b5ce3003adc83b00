// Run as a child process by test/integration/idle-exit.test.ts: sends one
// record and never calls close() nor process.exit. An idle producer must not
// hold the process (the Java client's sender thread is a daemon), while a
// record still pending must: "await" sends and awaits it, "forget" sends it
// and ends the script at once.
import { KafkaProducer } from '../../dist/src/index.js';

const [bootstrap, topic, host, mode] = process.argv.slice(2);
const producer = new KafkaProducer({ bootstrapServers: bootstrap, worker: host === 'worker' });
const value = `${mode}-${host}`;
if (mode === 'await') {
  const metadata = await producer.send({ topic, value });
  console.log(`delivered at offset ${metadata.offset}`);
} else {
  producer.send({ topic, value });
  console.log('sent, not awaited');
}
