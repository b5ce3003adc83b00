// Run as a child process by the producer tests: sends, closes, and must then
// exit on its own. It never calls process.exit: a socket, timer or worker
// thread left behind would keep it alive and fail the test.
import { KafkaProducer } from '../../dist/src/index.js';

const [bootstrap, topic] = process.argv.slice(2);
for (const worker of [true, false]) {
  const producer = new KafkaProducer({ bootstrapServers: bootstrap, worker });
  for (let i = 0; i < 100; i++) producer.send({ topic, value: `exit-${i}` });
  await producer.send({ topic, value: 'last' });
  await producer.close();
}
console.log('closed');
