// Keyed records land where the Java client puts them: librdkafka's
// murmur2_random partitioner is Java-compatible, so kcat producing the same
// 10,000 random keys to a topic with the same partition count is the judge.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { KafkaProducer } from 'kafka-producer-ts';
import { createTopic, kcatConsume, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');
const KEYS = 10_000;

/** Random keys of 1-40 characters: ASCII without the kcat delimiter, and some multi-byte UTF-8. */
function randomKeys(n: number): string[] {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!@#$%^&*()[]{}<>?/|~éüß日本語ключ';
  const chars = [...alphabet];
  const keys = new Set<string>();
  while (keys.size < n) {
    const bytes = randomBytes(41);
    const len = 1 + ((bytes[0] as number) % 40);
    let k = '';
    for (let i = 1; i <= len; i++) k += chars[(bytes[i] as number) % chars.length];
    keys.add(k);
  }
  return [...keys];
}

function kcatProduce(bootstrap: string, topic: string, keys: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', ['-P', '-b', bootstrap, '-t', topic, '-K', ':', '-X', 'partitioner=murmur2_random'], (err) =>
      err ? reject(err) : resolve(),
    );
    child.stdin?.end(keys.map((k) => `${k}:${k}`).join('\n') + '\n');
  });
}

describe('Java-exact key partitioning', () => {
  for (const partitions of [7, 12]) {
    it(`${KEYS} random keys over ${partitions} partitions: the same partition as kcat's murmur2_random for every key`, async () => {
      const ours = uniqueTopic(`murmur-ours-${partitions}`);
      const theirs = uniqueTopic(`murmur-kcat-${partitions}`);
      await Promise.all([createTopic(env.bootstrap, ours, partitions), createTopic(env.bootstrap, theirs, partitions)]);
      const keys = randomKeys(KEYS);

      const producer = new KafkaProducer({ bootstrapServers: env.bootstrap });
      try {
        for (const key of keys) producer.send({ topic: ours, key, value: key });
        await producer.flush();
        expect(producer.metrics().recordsSent).toBe(KEYS);
      } finally {
        await producer.close();
      }
      await kcatProduce(env.bootstrap, theirs, keys);

      const partitionOf = async (topic: string) => new Map((await kcatConsume(env.bootstrap, topic)).map((m) => [m.key as string, m.partition]));
      const [a, b] = await Promise.all([partitionOf(ours), partitionOf(theirs)]);
      expect(a.size).toBe(KEYS);
      expect(b.size).toBe(KEYS);
      const mismatches = keys.filter((k) => a.get(k) !== b.get(k));
      expect(mismatches).toEqual([]);
      // Every partition got keys: a check that the comparison is not vacuous.
      expect(new Set(a.values()).size).toBe(partitions);
    });
  }
});
