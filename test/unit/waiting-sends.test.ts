// The rules of waiting sends, without a broker: order per topic, per missing
// partition and per partition; no head-of-line blocking across them; each
// send's own maxBlockMs; topics refused for good fail at once; the bytes
// bound; and 'drained' once nothing waits. The clock is vitest's fake one.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TopicPartition } from '../../src/accumulator/record-accumulator.js';
import type { CheckedRecord } from '../../src/record.js';
import type { SendResult } from '../../src/send-result.js';
import { APPENDED, WaitingSends, type Attempt, type Waiting } from '../../src/waiting-sends.js';

interface FakeRecord {
  name: string;
  topic: string;
  partition?: number;
}

/** A cluster as the waiting sends see it: which topics are known, how many partitions, whether memory is free. */
class World {
  partitions = new Map<string, number>();
  memory = true;
  readonly appended: string[] = [];
  readonly expired: string[] = [];
  readonly failed: [string, string][] = [];
  readonly metadataRequests: string[] = [];
  drained = 0;
  readonly tps = new Map<string, TopicPartition>();

  tp(topic: string, partition: number): TopicPartition {
    const key = `${topic}-${partition}`;
    let tp = this.tps.get(key);
    if (!tp) this.tps.set(key, (tp = new TopicPartition(this.tps.size, topic, partition)));
    return tp;
  }

  attempt(w: Waiting): Attempt {
    const r = w.record as unknown as FakeRecord & CheckedRecord;
    let tp = w.tp;
    if (!tp) {
      const count = this.partitions.get(r.topic);
      if (count === undefined) return { wait: 'metadata', partition: null };
      if (r.partition !== undefined && r.partition >= count) return { wait: 'metadata', partition: r.partition };
      tp = this.tp(r.topic, r.partition ?? 0);
    }
    if (!this.memory) return { wait: 'memory', tp };
    this.appended.push(r.name);
    return APPENDED;
  }
}

function setup(maxBlockMs = 1000) {
  const world = new World();
  const waiting = new WaitingSends(
    {
      attempt: (w) => world.attempt(w),
      expire: (w) => world.expired.push((w.record as unknown as FakeRecord).name),
      requestMetadata: (topic) => world.metadataRequests.push(topic),
      drained: () => world.drained++,
    },
    maxBlockMs,
    100,
  );
  const add = (name: string, topic: string, partition?: number, size = 100) => {
    const record = { name, topic, partition, soloSize: size } as unknown as CheckedRecord;
    const result = { settle: (err: Error | null) => err && world.failed.push([name, err.message]) } as unknown as SendResult;
    const probe = { id: 0, record, result, deadline: 0, tp: null } as Waiting;
    const a = world.attempt(probe);
    if (a.wait !== 'none') waiting.add(record, result, Date.now(), a);
  };
  return { world, waiting, add };
}

describe('waiting sends', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a topic waiting for metadata holds only its own sends; they go in order when it arrives', () => {
    const { world, waiting, add } = setup();
    add('a1', 'a');
    world.partitions.set('b', 1);
    add('b1', 'b');
    expect(world.appended).toEqual(['b1']);
    expect(waiting.topicBlocked('a')).toBe(true);
    expect(waiting.topicBlocked('b')).toBe(false);
    world.partitions.set('a', 1);
    waiting.onMetadata('a', Date.now());
    expect(world.appended).toEqual(['b1', 'a1']);
    expect(waiting.size).toBe(0);
    expect(world.drained).toBe(1);
  });

  it('each send has its own maxBlockMs, counted from its own send()', () => {
    const { world, waiting, add } = setup(1000);
    add('first', 'a');
    vi.advanceTimersByTime(600);
    add('second', 'a');
    vi.advanceTimersByTime(450);
    expect(world.expired).toEqual(['first']);
    expect(waiting.size).toBe(1);
    vi.advanceTimersByTime(600);
    expect(world.expired).toEqual(['first', 'second']);
    expect(world.drained).toBe(1);
  });

  it('asks again for missing metadata every retry interval while sends wait', () => {
    const { world, add } = setup(1000);
    add('x', 'missing');
    vi.advanceTimersByTime(350);
    expect(world.metadataRequests.filter((t) => t === 'missing').length).toBeGreaterThanOrEqual(3);
  });

  it('a partition the topic lacks holds only sends to that partition; adding it lets them go', () => {
    const { world, waiting, add } = setup(10_000);
    world.partitions.set('t', 2);
    add('p5', 't', 5);
    add('p0', 't', 0);
    add('p5-again', 't', 5);
    expect(world.appended).toEqual(['p0']);
    world.partitions.set('t', 6);
    waiting.onMetadata('t', Date.now());
    expect(world.appended).toEqual(['p0', 'p5', 'p5-again']);
  });

  it('memory waits are per partition and keep order; memory coming back lets them go, oldest partition first', () => {
    const { world, waiting, add } = setup(10_000);
    world.partitions.set('t', 3);
    world.memory = false;
    add('p1-a', 't', 1);
    add('p2-a', 't', 2);
    add('p1-b', 't', 1);
    expect(waiting.partitionBlocked(world.tp('t', 1))).toBe(true);
    world.memory = true;
    waiting.onMemory(Date.now());
    expect(world.appended).toEqual(['p1-a', 'p1-b', 'p2-a']);
  });

  it('a topic refused for good fails its waiting sends at once, leaving other topics waiting', () => {
    const { world, waiting, add } = setup(10_000);
    add('bad1', 'bad');
    add('bad2', 'bad');
    add('other', 'other');
    waiting.failTopic('bad', new Error('TOPIC_AUTHORIZATION_FAILED'));
    expect(world.failed).toEqual([
      ['bad1', 'TOPIC_AUTHORIZATION_FAILED'],
      ['bad2', 'TOPIC_AUTHORIZATION_FAILED'],
    ]);
    expect(waiting.size).toBe(1);
  });

  it('bounds the bytes held: a lone send may always wait, others only within the allowance', () => {
    const { waiting, add } = setup();
    expect(waiting.hasRoomFor(5000, 1000)).toBe(true);
    add('a', 'x', undefined, 600);
    expect(waiting.bytes).toBe(600);
    expect(waiting.hasRoomFor(400, 1000)).toBe(true);
    expect(waiting.hasRoomFor(401, 1000)).toBe(false);
  });

  it('flush marks: oldestId passes a mark only when every earlier send left the queues', () => {
    const { world, waiting, add } = setup(10_000);
    add('a', 'a');
    const mark = waiting.nextId;
    add('b', 'b');
    expect(waiting.oldestId).toBeLessThan(mark);
    world.partitions.set('a', 1);
    waiting.onMetadata('a', Date.now());
    expect(waiting.oldestId).toBeGreaterThanOrEqual(mark);
    waiting.failAll(new Error('closed'));
    expect(world.failed).toEqual([['b', 'closed']]);
    expect(waiting.size).toBe(0);
  });
});
