// kafkajs's examples in examples/kafkajs/ run against the real broker twice:
// as written (importing kafka-producer-ts/kafkajs) and with only that import
// changed back to 'kafkajs', which shows they are kafkajs programs. Each run
// is read back with kcat.

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { createTopic, kcatConsumeAtLeast, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OURS = "from 'kafka-producer-ts/kafkajs'";

/** The example as written, or a copy under dist/ (where node_modules/kafkajs resolves) importing kafkajs. */
function example(name: string, client: 'adapter' | 'kafkajs'): string {
  const file = path.join(ROOT, 'examples', 'kafkajs', name);
  if (client === 'adapter') return file;
  const source = readFileSync(file, 'utf8');
  expect(source.split(OURS)).toHaveLength(2);
  const dir = path.join(ROOT, 'dist', 'kafkajs-examples');
  mkdirSync(dir, { recursive: true });
  const copy = path.join(dir, name);
  writeFileSync(copy, source.replace(OURS, "from 'kafkajs'"));
  return copy;
}

interface Run {
  stdout: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs an example; `until`: once stdout matches it, SIGTERM asks the example to stop, as a deployment would. */
function run(file: string, envVars: Record<string, string>, until?: RegExp): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1', ...envVars }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (until?.test(stdout) && child.exitCode === null && !child.killed) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') reject(new Error(`${file} did not finish within 40 s; stdout:\n${stdout}\nstderr:\n${stderr}`));
      else resolve({ stdout: stdout + stderr, code, signal });
    });
  });
}

describe.each(['adapter', 'kafkajs'] as const)('kafkajs examples, run with %s', (client) => {
  it('producer.js sends GZIP batches every 3 s, and stops on SIGTERM after disconnecting', async () => {
    const topic = uniqueTopic(`kafkajs-example-${client}`);
    await createTopic(env.bootstrap, topic, 3);
    const out = await run(example('producer.js', client), { KAFKA_BROKERS: env.bootstrap, TOPIC: topic }, /Messages sent #1/);
    expect(out.code, out.stdout).toBe(0);
    const lines = out.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { message: string; msgNumber?: number });
    // msgNumber counts every message handed to send() so far; the last send logged as sent gives it.
    const sent = lines.filter((l) => /Messages sent #\d+/.test(l.message));
    expect(sent.length).toBeGreaterThanOrEqual(2);
    const started = lines.filter((l) => /Sending \d+ messages/.test(l.message)).map((l) => Number(/Sending (\d+)/.exec(l.message)?.[1]));
    const total = started.reduce((a, b) => a + b, 0);
    const read = await kcatConsumeAtLeast(env.bootstrap, topic, total);
    expect(read).toHaveLength(total);
    expect(read.every((m) => m.key !== null && m.payload?.startsWith(`value-`) && m.headers?.[0] === 'correlation-id')).toBe(true);
  });

  it('transactional-producer.js commits one transaction and aborts the other', async () => {
    const topic = uniqueTopic(`kafkajs-example-txn-${client}`);
    await createTopic(env.bootstrap, topic, 1);
    const out = await run(example('transactional-producer.js', client), { KAFKA_BROKERS: env.bootstrap, TOPIC: topic, TRANSACTIONAL_ID: uniqueTopic('kafkajs-example') });
    expect(out.code, out.stdout).toBe(0);
    expect(out.stdout).toContain('committed 2 messages');
    expect(out.stdout).toContain('aborted 1 messages: changed our mind');
    const committed = await kcatConsumeAtLeast(env.bootstrap, topic, 2, 20_000, 'read_committed');
    expect(committed.map((m) => m.payload)).toEqual(['committed-1', 'committed-2']);
  });
});
