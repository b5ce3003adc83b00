// The examples in examples/ run as users run them (the built files, as
// separate processes) against the real broker: the HTTP service answers
// with where each record went and refuses work while the producer's buffer
// is full; graceful shutdown on SIGTERM delivers every record sent;
// consume-transform-produce commits output and offsets together. The
// OpenTelemetry example has its own test (opentelemetry.test.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { KafkaProducer } from 'kafka-producer-ts';
import { createTopic, groupOffsets, kcatConsumeAtLeast, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');
/** Children still running when a test ends (it failed before stopping its own) are killed, not left behind. */
const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

function example(name: string, vars: Record<string, string>): { child: ChildProcess; output: () => string; line: (re: RegExp) => Promise<RegExpExecArray>; exit: Promise<number | null> } {
  const script = fileURLToPath(new URL(`../../dist/examples/${name}.js`, import.meta.url));
  const child = spawn(process.execPath, [script], { env: { ...process.env, KAFKA_BROKERS: env.bootstrap, ...vars }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exit = new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve(code);
    });
  });
  const line = async (re: RegExp): Promise<RegExpExecArray> => {
    for (;;) {
      const m = re.exec(out);
      if (m) return m;
      if (child.exitCode !== null) throw new Error(`${name} exited before printing ${re}: ${out}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { child, output: () => out, line, exit };
}

describe('examples', () => {
  it('graceful-shutdown: on SIGTERM every record sent is delivered and the process exits by itself', async () => {
    const topic = uniqueTopic('example-shutdown');
    await createTopic(env.bootstrap, topic, 3);
    const run = example('graceful-shutdown', { TOPIC: topic });
    await run.line(/producing/);
    await new Promise((r) => setTimeout(r, 500));
    run.child.kill('SIGTERM');
    const [, sent, delivered, failed] = await run.line(/closed: (\d+) sent, (\d+) delivered, (\d+) failed/);
    expect(await run.exit, run.output()).toBe(0);
    expect(Number(sent)).toBeGreaterThan(0);
    expect([Number(delivered), Number(failed)]).toEqual([Number(sent), 0]);
    expect(await kcatConsumeAtLeast(env.bootstrap, topic, Number(sent))).toHaveLength(Number(sent));
  });

  it('http-service: 201 with partition and offset per request, and a clean stop on SIGTERM', async () => {
    const topic = uniqueTopic('example-http');
    await createTopic(env.bootstrap, topic, 2);
    const run = example('http-service', { TOPIC: topic, PORT: '0' });
    const [, port] = await run.line(/listening on port (\d+)/);
    const post = (body: string, key: string) => fetch(`http://127.0.0.1:${port}/orders`, { method: 'POST', body, headers: { 'x-order-key': key } });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(JSON.stringify({ id: i }), `customer-${i % 4}`)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    const where = (await Promise.all(answers.map((a) => a.json()))) as { partition: number; offset: number }[];
    expect(where.every((w) => w.partition >= 0 && w.partition < 2 && w.offset >= 0)).toBe(true);
    expect((await post('x', 'k').then((r) => r.status))).toBe(201);
    expect((await fetch(`http://127.0.0.1:${port}/nothing`)).status).toBe(404);
    run.child.kill('SIGTERM');
    await run.line(/closed/);
    expect(await run.exit, run.output()).toBe(0);
    const read = await kcatConsumeAtLeast(env.bootstrap, topic, 21);
    expect(read.map((m) => m.payload).sort()).toEqual([...Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: i })), 'x'].sort());
  });

  it('http-service: while sends wait for buffer memory (no broker to drain it) longer than a second, requests get 503 with Retry-After', async () => {
    const run = example('http-service', { TOPIC: 'never', PORT: '0', KAFKA_BROKERS: '127.0.0.1:1', BUFFER_MEMORY: '65536' });
    const [, port] = await run.line(/listening on port (\d+)/);
    const big = 'x'.repeat(20_000);
    // No metadata ever comes: the first requests' records wait and fill what bufferMemory leaves them.
    const pending = Array.from({ length: 8 }, () => fetch(`http://127.0.0.1:${port}/orders`, { method: 'POST', body: big }).catch(() => null));
    await new Promise((r) => setTimeout(r, 500));
    const refused = await fetch(`http://127.0.0.1:${port}/orders`, { method: 'POST', body: 'y' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    run.child.kill('SIGKILL');
    await run.exit;
    // The waiting requests end with the process (their connections reset).
    expect(await Promise.all(pending)).toHaveLength(8);
  });
});

describe('consume-transform-produce', () => {
  it.skipIf(!env.libsDir)('a kafkajs consumer and our transactions: every input record once in the output (read_committed), the group\'s offsets committed with them', async () => {
    const input = uniqueTopic('example-ctp-in');
    const output = uniqueTopic('example-ctp-out');
    const groupId = uniqueTopic('example-ctp-group');
    await createTopic(env.bootstrap, input, 1);
    await createTopic(env.bootstrap, output, 2);
    const producer = new KafkaProducer({ bootstrapServers: env.bootstrap });
    const words = Array.from({ length: 12 }, (_, i) => `order ${i}`);
    await Promise.all(words.map((value, i) => producer.send({ topic: input, key: `k${i}`, value })));
    await producer.close();
    const run = example('consume-transform-produce', { INPUT_TOPIC: input, OUTPUT_TOPIC: output, GROUP_ID: groupId, STOP_AFTER: String(words.length) });
    await run.line(/processed 12/);
    expect(await run.exit, run.output()).toBe(0);
    const read = await kcatConsumeAtLeast(env.bootstrap, output, words.length, 20_000, 'read_committed');
    expect(read.map((m) => m.payload).sort()).toEqual(words.map((w) => w.toUpperCase()).sort());
    expect(await groupOffsets(env, groupId)).toEqual(new Map([[`${input}-0`, words.length]]));
  });
});
