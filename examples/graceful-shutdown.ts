// Graceful shutdown on SIGTERM (what Kubernetes, systemd and docker stop
// send): stop taking new work, let close() deliver every record already
// sent (it flushes, within deliveryTimeoutMs), then let the process end by
// itself. Records sent fire-and-forget are not lost.
//
//   KAFKA_BROKERS=localhost:9092 TOPIC=events node dist/examples/graceful-shutdown.js
//
// Prints "producing" once it sends, and on SIGTERM "closed: N sent, N delivered, N failed".

import { KafkaProducer } from 'kafka-producer-ts';

const producer = new KafkaProducer({ bootstrapServers: process.env.KAFKA_BROKERS ?? 'localhost:9092' });
const topic = process.env.TOPIC ?? 'events';
let sent = 0;

// The application's work: a record every few milliseconds, not awaited.
const work = setInterval(() => {
  producer.send({ topic, key: `k${sent % 10}`, value: `event ${sent}` });
  sent++;
}, 2);
console.log('producing');

process.once('SIGTERM', () => {
  clearInterval(work); // no new records from here on
  producer.close().then(
    () => {
      const { recordsSent, recordsFailed } = producer.metrics();
      console.log(`closed: ${sent} sent, ${recordsSent} delivered, ${recordsFailed} failed`);
      // Nothing left to hold the event loop: the process exits with code 0.
    },
    (err: unknown) => {
      console.error('close failed', err);
      process.exitCode = 1;
    },
  );
});
