// An HTTP service that produces a record per request, with backpressure:
// while sends wait for buffer memory or metadata, a new request waits for
// room (producer.ready()) up to a second, then gets 503 with Retry-After
// instead of piling up in memory; otherwise it waits for the broker's
// acknowledgement and answers 201 with where the record went. SIGTERM stops the server, then
// closes the producer (see graceful-shutdown.ts).
//
//   KAFKA_BROKERS=localhost:9092 TOPIC=orders PORT=8080 node dist/examples/http-service.js
//   curl -X POST --data '{"id":1}' -H 'x-order-key: alice' localhost:8080/orders

import http from 'node:http';
import { KafkaProducer } from 'kafka-producer-ts';

const producer = new KafkaProducer({
  bootstrapServers: process.env.KAFKA_BROKERS ?? 'localhost:9092',
  bufferMemory: Number(process.env.BUFFER_MEMORY ?? 32 * 1024 * 1024),
});
const topic = process.env.TOPIC ?? 'orders';

/** True once sends no longer wait for memory or metadata; false if that takes longer than `ms`. */
async function room(ms: number): Promise<boolean> {
  if (!producer.needsDrain) return true;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)));
  const ok = await Promise.race([producer.ready().then(() => true), late]);
  clearTimeout(timer);
  return ok;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/orders') {
    res.writeHead(404).end();
    return;
  }
  readBody(req)
    .then(async (body) => {
      // Backpressure: while sends wait for memory, do not add to them.
      if (!(await room(1000))) return null;
      return producer.send({ topic, key: req.headers['x-order-key']?.toString() ?? null, value: body });
    })
    .then(
      (metadata) => {
        if (metadata === null) res.writeHead(503, { 'retry-after': '1' }).end('busy, retry shortly\n');
        else res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ partition: metadata.partition, offset: metadata.offset }));
      },
      (err: Error) => res.writeHead(500).end(`${err.name}: ${err.message}\n`),
    );
});

server.listen(Number(process.env.PORT ?? 8080), () => {
  const address = server.address();
  console.log(`listening on port ${typeof address === 'object' && address ? address.port : address}`);
});

process.once('SIGTERM', () => {
  server.close(() => {
    void producer.close().then(() => console.log('closed'));
  });
});
