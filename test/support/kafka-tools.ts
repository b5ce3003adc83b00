// Test helpers that read our bytes back with tools we did not write: kcat
// (librdkafka) and Kafka's own DumpLogSegments and console consumer; topics
// come from the project's own admin helper (scripts/kafka/topics.ts).

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Topics } from '../../scripts/kafka/topics.js';
import type { KafkaTestEnv } from './env.js';

const run = promisify(execFile);

export function uniqueTopic(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Creates a topic and waits until every partition's leader takes records. */
export async function createTopic(bootstrap: string, name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const topics = new Topics(bootstrap, 'kafka-producer-ts-tests');
  try {
    await topics.create(name, partitions, configs);
  } finally {
    await topics.close();
  }
}

/** One message as kcat -J prints it. */
export interface KcatMessage {
  topic: string;
  partition: number;
  offset: number;
  tstype: string;
  ts: number;
  broker: number;
  headers?: string[];
  key: string | null;
  payload: string | null;
}

/**
 * Consumes until at least `count` messages are there (acks=0 writes land a
 * little later; so do a transaction's markers, which read_committed waits for).
 */
export async function kcatConsumeAtLeast(bootstrap: string, topic: string, count: number, timeoutMs = 20_000, isolation: Isolation = 'read_uncommitted'): Promise<KcatMessage[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const messages = await kcatConsume(bootstrap, topic, undefined, isolation);
    if (messages.length >= count || Date.now() > deadline) return messages;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export type Isolation = 'read_committed' | 'read_uncommitted';

/** Consumes a whole topic (or one partition) from the beginning with kcat -J; read_committed skips aborted transactions. */
/** `settings`: more librdkafka properties (-X), e.g. security.protocol and sasl.* for a secured listener. */
export async function kcatConsume(
  bootstrap: string,
  topic: string,
  partition?: number,
  isolation: Isolation = 'read_uncommitted',
  settings: Readonly<Record<string, string>> = {},
): Promise<KcatMessage[]> {
  const args = ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-J', '-q', '-X', 'fetch.message.max.bytes=4194304', '-X', `isolation.level=${isolation}`];
  for (const [k, v] of Object.entries(settings)) args.push('-X', `${k}=${v}`);
  if (partition !== undefined) args.push('-p', String(partition));
  const { stdout } = await run('kcat', args, { maxBuffer: 256 * 1024 * 1024 });
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as KcatMessage)
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** One batch line of DumpLogSegments, as key/value pairs ("crc", "isvalid", "compresscodec", ...). */
export type DumpedBatch = Record<string, string>;

/** The log files of one partition on a local broker. */
export function partitionLogFiles(env: KafkaTestEnv, topic: string, partition: number): string[] {
  for (const dir of env.logDirs) {
    const pdir = path.join(dir, `${topic}-${partition}`);
    try {
      return readdirSync(pdir)
        .filter((f) => f.endsWith('.log'))
        .map((f) => path.join(pdir, f));
    } catch {
      // Not on this log dir.
    }
  }
  return [];
}

function javaArgs(env: KafkaTestEnv, mainClass: string, args: string[]): string[] {
  return ['-Xmx512m', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', path.join(env.libsDir as string, '*'), mainClass, ...args];
}

/**
 * Runs Kafka's DumpLogSegments over log files (one JVM for all of them) and
 * returns the batch lines of each file. The class moved from core
 * (kafka.tools, 3.x) to tools (org.apache.kafka.tools, 4.x).
 */
export async function dumpLogSegments(env: KafkaTestEnv, files: string[]): Promise<Map<string, DumpedBatch[]>> {
  if (!env.libsDir) throw new Error('DumpLogSegments needs the local broker (KAFKA_BROKERS points elsewhere)');
  const args = ['--deep-iteration', '--files', files.join(',')];
  let stdout = '';
  for (const cls of ['org.apache.kafka.tools.DumpLogSegments', 'kafka.tools.DumpLogSegments']) {
    try {
      ({ stdout } = await run('java', javaArgs(env, cls, args), { maxBuffer: 256 * 1024 * 1024 }));
      break;
    } catch (err) {
      const msg = String((err as { stderr?: string }).stderr ?? err);
      if (!/Could not find or load main class|ClassNotFoundException/.test(msg)) throw err;
    }
  }
  const byFile = new Map<string, DumpedBatch[]>();
  let current: DumpedBatch[] | null = null;
  for (const line of stdout.split('\n')) {
    const dumping = /^Dumping (.+)$/.exec(line);
    if (dumping) {
      current = [];
      byFile.set(dumping[1] as string, current);
    } else if (line.startsWith('baseOffset:') && current) {
      const batch: DumpedBatch = {};
      for (const m of line.matchAll(/(\w+): (\S+)/g)) batch[m[1] as string] = m[2] as string;
      current.push(batch);
    }
  }
  return byFile;
}

/** Reads a topic with Kafka's console consumer (optionally read_committed); values one per line. */
export async function consoleConsume(env: KafkaTestEnv, topic: string, maxMessages: number, isolation: Isolation): Promise<string[]> {
  if (!env.libsDir) throw new Error('the console consumer needs the local broker jars');
  const args = [
    '--bootstrap-server',
    env.bootstrap,
    '--topic',
    topic,
    '--from-beginning',
    '--max-messages',
    String(maxMessages),
    '--timeout-ms',
    '15000',
    '--isolation-level',
    isolation,
  ];
  const { stdout } = await run('java', javaArgs(env, 'org.apache.kafka.tools.consumer.ConsoleConsumer', args), {
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  return stdout.split('\n').filter((l) => l !== '');
}

/** Adds partitions to a topic with Kafka's own topic tool (the class moved from core to tools in 3.x). */
export async function addPartitions(env: KafkaTestEnv, topic: string, partitions: number): Promise<void> {
  if (!env.libsDir) throw new Error('the topic tool needs the local broker jars');
  const args = ['--bootstrap-server', env.bootstrap, '--alter', '--topic', topic, '--partitions', String(partitions)];
  for (const cls of ['org.apache.kafka.tools.TopicCommand', 'kafka.admin.TopicCommand']) {
    try {
      await run('java', javaArgs(env, cls, args));
      return;
    } catch (err) {
      const msg = String((err as { stderr?: string }).stderr ?? err);
      if (!/Could not find or load main class|ClassNotFoundException/.test(msg)) throw err;
    }
  }
  throw new Error('no TopicCommand class in the broker jars');
}

/**
 * A consumer group's committed offsets ("topic-partition" to offset), read
 * with Kafka's consumer-groups tool (the class moved from core to tools in
 * 4.x); empty when the group has none or does not exist.
 */
export async function groupOffsets(env: KafkaTestEnv, group: string): Promise<Map<string, number>> {
  if (!env.libsDir) throw new Error('the consumer-groups tool needs the local broker jars');
  const args = ['--bootstrap-server', env.bootstrap, '--describe', '--group', group];
  for (const cls of ['org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', 'kafka.admin.ConsumerGroupCommand']) {
    let stdout: string;
    try {
      ({ stdout } = await run('java', javaArgs(env, cls, args)));
    } catch (err) {
      const msg = String((err as { stderr?: string }).stderr ?? err);
      if (/Could not find or load main class|ClassNotFoundException/.test(msg)) continue;
      throw err;
    }
    // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...
    const offsets = new Map<string, number>();
    for (const line of stdout.split('\n')) {
      const [g, topic, partition, current] = line.trim().split(/\s+/);
      if (g === group && topic && partition && current && /^\d+$/.test(current)) offsets.set(`${topic}-${partition}`, Number(current));
    }
    return offsets;
  }
  throw new Error('no ConsumerGroupCommand class in the broker jars');
}
