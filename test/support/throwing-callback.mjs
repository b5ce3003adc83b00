// Run as a child process by the diagnostics tests: send callbacks that throw
// must not end the process or stop other records from settling. Prints one
// JSON line per producer; the test checks the exit code and the warning.
import { KafkaProducer } from '../../dist/src/index.js';

const [bootstrap, topic] = process.argv.slice(2);
const quiet = () => {};
for (const [worker, withLogger] of [
  [true, true],
  [false, true],
  [true, false],
]) {
  const logged = [];
  const logger = withLogger ? { debug: quiet, info: quiet, warn: quiet, error: (message, ctx) => logged.push({ message, error: ctx.error.message }) } : undefined;
  const producer = new KafkaProducer({ bootstrapServers: bootstrap, worker, logger });
  const called = [];
  const sends = [];
  for (let i = 0; i < 6; i++) {
    sends.push(
      producer.send({ topic, partition: 0, value: `v${i}` }, () => {
        called.push(i);
        if (i % 2 === 0) throw new Error(`callback ${i} throws`);
      }),
    );
  }
  const offsets = (await Promise.all(sends)).map((md) => md.offset);
  await producer.close();
  console.log(JSON.stringify({ worker, withLogger, called, offsets, logged }));
}
