// An idle producer does not hold the process; pending work does. A child
// process sends a record and never closes its producer: it must exit by
// itself, and a record (or a commit) it did not await must still reach the
// broker first.
// Both hosts (sender on a worker thread and on the main thread).

import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { runChild } from '../support/child-process.js';
import { createTopic, kcatConsumeAtLeast, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');
const script = fileURLToPath(new URL('../support/idle-exit.mjs', import.meta.url));
/** Generous: the child needs a second or so; this only tells "exited" from "held". */
const KILL_AFTER_MS = 20_000;

describe.each(['worker', 'main'])('a producer never closed, sender on the %s thread', (host) => {
  it('sends and awaits a record, then the process exits by itself', async () => {
    const topic = uniqueTopic(`idle-await-${host}`);
    await createTopic(env.bootstrap, topic, 1);
    const { code, out, ms } = await runChild(script, [env.bootstrap, topic, host, 'await'], KILL_AFTER_MS);
    console.log(`${host}: the awaiting child exited with ${code} after ${ms} ms: ${out.trim()}`);
    expect(code, `the child was still running after ${KILL_AFTER_MS} ms (killed): ${out}`).toBe(0);
    expect(out).toMatch(/delivered at offset 0/);
  });

  it('sends without awaiting: the record is delivered before the process exits', async () => {
    const topic = uniqueTopic(`idle-forget-${host}`);
    await createTopic(env.bootstrap, topic, 1);
    const { code, out } = await runChild(script, [env.bootstrap, topic, host, 'forget'], KILL_AFTER_MS);
    expect(code, `the child was still running after ${KILL_AFTER_MS} ms (killed): ${out}`).toBe(0);
    expect(out).toContain('sent, not awaited');
    const read = await kcatConsumeAtLeast(env.bootstrap, topic, 1);
    expect(read.map((m) => m.payload)).toEqual([`forget-${host}`]);
  });

  it('commits a transaction without awaiting it: the commit completes before the process exits', async () => {
    const topic = uniqueTopic(`idle-txn-${host}`);
    await createTopic(env.bootstrap, topic, 1);
    const { code, out } = await runChild(script, [env.bootstrap, topic, host, 'transaction'], KILL_AFTER_MS);
    expect(code, `the child was still running after ${KILL_AFTER_MS} ms (killed): ${out}`).toBe(0);
    expect(out).toContain('commit started, not awaited');
    const read = await kcatConsumeAtLeast(env.bootstrap, topic, 1, 20_000, 'read_committed');
    expect(read.map((m) => m.payload)).toEqual([`transaction-${host}`]);
  });
});
