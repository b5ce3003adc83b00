// kafka-producer-ts as a user's first program would send: every option at
// its default (new KafkaProducer({ bootstrapServers })), records sent one of
// the three ways of job.options.way, with nothing a tuned program would add
// (no pacing, no yielding). The same program as bench/python/first_program.py.

import { KafkaProducer, type SendCallback, type SendResult } from '../../src/index.js';
import type { FirstWay } from '../job.js';
import { runClient } from './harness.js';

/** Record i of the job, sent by the producer under test. */
interface Program {
  send(i: number, callback?: SendCallback): SendResult;
  flush(): Promise<void>;
}

const WAYS: Record<FirstWay, { how: string; run(p: Program, n: number): Promise<void> }> = {
  'await-each': {
    how: 'await producer.send(record) for each record',
    async run(p, n) {
      for (let i = 0; i < n; i++) await p.send(i);
    },
  },
  'all-then-await': {
    how: 'every producer.send(record) kept, then await Promise.all(sends)',
    async run(p, n) {
      const sends = [];
      for (let i = 0; i < n; i++) sends.push(p.send(i));
      await Promise.all(sends);
    },
  },
  'callback-flush': {
    how: 'producer.send(record, callback) for each record, then await producer.flush(); the callbacks count failures',
    async run(p, n) {
      let failed = 0;
      let first: Error | null = null;
      const done: SendCallback = (err) => {
        if (!err) return;
        failed++;
        first ??= err;
      };
      for (let i = 0; i < n; i++) p.send(i, done);
      await p.flush();
      if (failed > 0) throw new Error(`${failed} of ${n} records failed, the first with: ${first}`);
    },
  },
};

await runClient(async (job, records) => {
  const way = WAYS[job.options.way as FirstWay];
  if (!way) throw new Error(`first-program runner: unknown job.options.way ${String(job.options.way)}`);
  const producer = new KafkaProducer({ bootstrapServers: job.bootstrap });
  // The topic's metadata and the connection before the clock, as kafka-python's partitions_for(topic).
  await producer.partitionsFor(job.topic);
  const program: Program = {
    send: (i, callback) => producer.send({ topic: job.topic, key: records.key(i), value: records.value(i) }, callback),
    flush: () => producer.flush(),
  };
  return {
    how: `new KafkaProducer({ bootstrapServers }), every other option at its default (acks all, idempotent, lingerMs 5, batchSize 16384, worker thread); await partitionsFor(topic) before timing; the three ways: ${Object.values(WAYS)
      .map((w) => w.how)
      .join('; ')}`,
    sendAll: (n) => way.run(program, n),
    close: () => producer.close(),
  };
});
