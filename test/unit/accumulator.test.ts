// The accumulator without a broker: records written once into shared slots
// that decode as valid batches, sealing on size, the slot state handshake
// with a sealing sender, the bufferMemory budget, and exactly-once settling.

import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/accumulator/buffer-pool.js';
import { EventRing } from '../../src/accumulator/event-ring.js';
import {
  decodeEvent,
  EVENT_OPENED,
  EVENT_SEALED,
  RecordAccumulator,
  RecordGroup,
  type Batch,
  type PreparedRecord,
  type RecordHandle,
  type TopicPartition,
} from '../../src/accumulator/record-accumulator.js';
import { APPENDING, FREE, OPEN, SEALED, Slot } from '../../src/accumulator/slot.js';
import { decodeRecordBatches, sealBatch } from '../../src/protocol/record-batch.js';
import { checkRecord } from '../../src/record.js';

function prepared(value: string, timestamp = 1000, key: string | null = null): PreparedRecord {
  return checkRecord({ topic: 't', key, value }, null, null, timestamp);
}

function accumulator(bufferMemory = 4096, batchSize = 1024, maxBatchSize = batchSize) {
  const slots: Slot[] = [];
  const dropped: number[] = [];
  const settled: number[] = [];
  // Delivered: [seq, how many, null]; failed: [seq, which, err].
  const unwatched: [number, number | number[], Error | null][] = [];
  const acc = new RecordAccumulator(bufferMemory, batchSize, maxBatchSize, {
    onUnwatchedDelivered: (b, count) => unwatched.push([b.seq, count, null]),
    onUnwatchedFailed: (b, indexes, err) => unwatched.push([b.seq, indexes, err]),
    onSlotCreated: (s) => slots.push(s),
    onSlotDropped: (id) => dropped.push(id),
    onTopicPartition: () => {},
    onBatchSettled: (b) => settled.push(b.seq),
  });
  return { acc, slots, dropped, settled, unwatched };
}

function events(ring: EventRing): { slotId: number; kind: number }[] {
  const out: { slotId: number; kind: number }[] = [];
  ring.drain((e) => out.push(decodeEvent(e)));
  return out;
}

/** A test handle: the batch keeps it while it is watched, as SendResult's `kept` says. */
function handleOf(h: Omit<RecordHandle, 'kept'>): RecordHandle {
  const handle = h as RecordHandle;
  Object.defineProperty(handle, 'kept', { get: () => (handle.watched ? handle : null) });
  return handle;
}

const noop: RecordHandle = handleOf({ watched: false, appended() {}, settle() {} });

/** The current task ends: main lets go of the batches it held (see RecordAccumulator#hold). */
const taskEnd = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('RecordAccumulator', () => {
  it('writes records into their slot; a sealed slot holds a batch Kafka can read', async () => {
    const { acc, slots } = accumulator();
    const tp = acc.partition('t', 0);
    expect(acc.tryAppend(tp, prepared('a', 1000, 'k1'), noop, 1)).toBe(true);
    expect(acc.tryAppend(tp, prepared('bb', 1005), noop, 1)).toBe(true);
    const slot = slots[0] as Slot;
    // Main holds the batch until its task ends: the sender can neither seal it nor has heard of it.
    expect(slot.state).toBe(APPENDING);
    expect(slot.trySeal()).toBe(false);
    expect(events(acc.ring)).toEqual([]);
    await taskEnd();
    expect(events(acc.ring)).toEqual([{ slotId: 0, kind: EVENT_OPENED }]);
    expect(slot.state).toBe(OPEN);
    expect(slot.count).toBe(2);
    expect(slot.trySeal()).toBe(true);
    const batch = Buffer.from(slot.bytes.subarray(0, slot.used));
    sealBatch(batch, { attributes: 0, lastOffsetDelta: 1, baseTimestamp: slot.baseTimestamp, maxTimestamp: slot.maxTimestamp, producerId: -1, producerEpoch: -1, baseSequence: -1, recordCount: 2 });
    const [decoded] = decodeRecordBatches(batch);
    expect(decoded?.crcValid).toBe(true);
    expect(decoded?.maxTimestamp).toBe(1005);
    expect(decoded?.records.map((r) => [r.key?.toString() ?? null, r.value?.toString(), r.timestamp])).toEqual([
      ['k1', 'a', 1000],
      [null, 'bb', 1005],
    ]);
  });

  it('seals a full batch, tells the sender through the ring, and starts another', async () => {
    const { acc, slots } = accumulator(8192, 1024);
    const tp = acc.partition('t', 0);
    for (let i = 0; i < 20; i++) acc.tryAppend(tp, prepared('x'.repeat(100)), noop, 1);
    expect(slots.length).toBe(3);
    expect(slots[0]?.state).toBe(SEALED);
    expect(slots[1]?.state).toBe(SEALED);
    expect(slots[2]?.state).toBe(APPENDING);
    // Batches filled and sealed within one task are announced sealed, never open.
    expect(events(acc.ring)).toEqual([
      { slotId: 0, kind: EVENT_SEALED },
      { slotId: 1, kind: EVENT_SEALED },
    ]);
    await taskEnd();
    expect(slots[2]?.state).toBe(OPEN);
    expect(events(acc.ring)).toEqual([{ slotId: 2, kind: EVENT_OPENED }]);
    // Once announced, a batch sealed full later is announced sealed too.
    for (let i = 0; i < 10; i++) acc.tryAppend(tp, prepared('x'.repeat(100)), noop, 1);
    expect(slots[2]?.state).toBe(SEALED);
    expect(events(acc.ring)).toEqual([{ slotId: 2, kind: EVENT_SEALED }]);
    for (const s of slots.slice(0, 2)) expect(s.used).toBeLessThanOrEqual(1024);
  });

  it('when the sender sealed the open batch first, the next record starts a new one and nothing is sealed twice', async () => {
    const { acc, slots } = accumulator();
    const tp = acc.partition('t', 0);
    acc.tryAppend(tp, prepared('first'), noop, 1);
    await taskEnd();
    events(acc.ring);
    expect(slots[0]?.trySeal()).toBe(true);
    acc.tryAppend(tp, prepared('second'), noop, 1);
    expect(slots).toHaveLength(2);
    expect(slots[0]?.count).toBe(1);
    await taskEnd();
    expect(events(acc.ring)).toEqual([{ slotId: 1, kind: EVENT_OPENED }]);
  });

  it('the sender cannot seal while main is appending', () => {
    const slot = new Slot(0, 256);
    slot.open(0, 1, 1);
    expect(slot.state).toBe(APPENDING);
    expect(slot.trySeal()).toBe(false);
    slot.publish(1, 70, 1);
    slot.endAppend();
    expect(slot.beginAppend()).toBe(true);
    expect(slot.trySeal()).toBe(false);
    slot.publish(2, 80, 1);
    slot.endAppend();
    expect(slot.trySeal()).toBe(true);
    expect(slot.beginAppend()).toBe(false);
  });

  it('a record larger than batchSize gets a sealed batch of its own, after the open one is sealed', () => {
    const { acc, slots } = accumulator(8192, 1024);
    const tp = acc.partition('t', 0);
    acc.tryAppend(tp, prepared('small'), noop, 1);
    acc.tryAppend(tp, prepared('L'.repeat(3000)), noop, 1);
    expect(slots[0]?.state).toBe(SEALED);
    expect(slots[1]?.capacity).toBeGreaterThan(3000);
    expect(slots[1]?.state).toBe(SEALED);
    expect(tp.open).toBeNull();
    acc.tryAppend(tp, prepared('next'), noop, 1);
    expect(tp.open?.slot.capacity).toBe(1024);
  });

  it('says no when bufferMemory is spent, and yes again once a batch settles', () => {
    const { acc, settled } = accumulator(2048, 1024);
    const tp = acc.partition('t', 0);
    let appended = 0;
    while (acc.tryAppend(tp, prepared('y'.repeat(200)), noop, 1)) appended++;
    expect(appended).toBeGreaterThan(4);
    expect(acc.pool.availableMemory).toBe(0);
    acc.settle(0, 1, 0, 100, null, 0, -1);
    expect(settled).toEqual([0]);
    expect(acc.pool.availableMemory).toBe(1024);
    expect(acc.tryAppend(tp, prepared('y'.repeat(200)), noop, 1)).toBe(true);
  });

  it('settles each record exactly once, even if an outcome is repeated', () => {
    const { acc } = accumulator();
    const tp = acc.partition('t', 0);
    const seen: [Error | null, number][] = [];
    const handle: RecordHandle = handleOf({ watched: true, appended() {}, settle: (err, offset) => seen.push([err, offset]) });
    acc.tryAppend(tp, prepared('a'), handle, 1);
    acc.tryAppend(tp, prepared('b'), handle, 1);
    acc.settle(0, 1, 0, 1, null, 40, -1);
    acc.settle(0, 1, 0, 1, null, 40, -1);
    acc.settle(0, 1, 1, 1, null, 41, -1);
    expect(seen).toEqual([
      [null, 40],
      [null, 41],
    ]);
    expect(acc.outstandingBatches).toBe(0);
  });

  it('keeps only watched handles; unwatched records settle through the hook; a late watcher gets the known outcome, already counted', () => {
    const { acc, unwatched } = accumulator();
    const tp = acc.partition('t', 0);
    const seen: [Error | null, number, boolean][] = [];
    const watchedHandle: RecordHandle = handleOf({ watched: true, appended() {}, settle: (err, offset, _t, announced = false) => seen.push([err, offset, announced]) });
    const refs: { batch: Batch; index: number }[] = [];
    const quiet: RecordHandle = handleOf({ watched: false, appended: (batch, index) => refs.push({ batch, index }), settle: (err, offset, _t, announced = false) => seen.push([err, offset, announced]) });
    acc.tryAppend(tp, prepared('a'), quiet, 1);
    acc.tryAppend(tp, prepared('b'), watchedHandle, 1);
    acc.tryAppend(tp, prepared('c'), quiet, 1);
    const [first, third] = refs as [{ batch: Batch; index: number }, { batch: Batch; index: number }];
    expect(first.batch.handles).toEqual([null, watchedHandle, null]);
    // The third starts to wait before its outcome: the batch keeps it from now on.
    expect(third.batch.watch(third.index, quiet)).toBe(true);
    acc.settle(0, 1, 0, 3, null, 100, -1);
    expect(unwatched).toEqual([[0, 1, null]]);
    expect(seen).toEqual([
      [null, 101, false],
      [null, 102, false],
    ]);
    // The first starts to wait after its outcome: it gets it at once, marked as counted.
    expect(first.batch.watch(first.index, quiet)).toBe(false);
    expect(seen.at(-1)).toEqual([null, 100, true]);
  });

  it('records sent in a group: the batch keeps the one group, which hears of each outcome once, and the records are counted as unwatched ones', () => {
    const { acc, slots, unwatched } = accumulator(65_536, 1024);
    const heard: (Error | null)[] = [];
    const group = new RecordGroup((err) => heard.push(err));
    const member: RecordHandle = { watched: true, kept: group, appended() {}, settle: () => expect.fail('a group member settles through its group') };
    const tp = acc.partition('t', 0);
    for (let i = 0; i < 3; i++) acc.tryAppend(tp, prepared(`g${i}`), member, 1);
    const batch = tp.open as Batch;
    expect(batch.handles).toEqual([group, group, group]);
    const slot = slots[0] as Slot;
    const boom = new Error('rejected');
    acc.settle(slot.id, slot.generation, 0, 1, boom, -1, -1);
    acc.settle(slot.id, slot.generation, 0, 3, null, 10, -1);
    // Record 0 failed once (its repeat is ignored); 1 and 2 delivered.
    expect(heard).toEqual([boom, null, null]);
    expect(unwatched).toEqual([
      [batch.seq, [0], boom],
      [batch.seq, 2, null],
    ]);
    expect(batch.handles).toEqual([null, null, null]);
  });

  it('a late outcome for a batch its slot held before is ignored: outcomes name the slot and its generation', () => {
    const { acc } = accumulator(1024, 1024);
    const tp = acc.partition('t', 0);
    const seen: (number | string)[] = [];
    const handle = (name: string): RecordHandle => (handleOf({ watched: true, appended() {}, settle: (err, offset) => seen.push(`${name}:${err ? 'failed' : offset}`) }));
    acc.tryAppend(tp, prepared('a'), handle('a'), 1);
    acc.settle(0, 1, 0, 1, null, 7, -1);
    // The same slot (the only one) holds the next batch, generation 2.
    expect(acc.tryAppend(tp, prepared('b'), handle('b'), 1)).toBe(true);
    acc.settle(0, 1, 0, 1, new Error('late, about a'), -1, -1);
    acc.settle(0, 2, 0, 1, null, 8, -1);
    expect(seen).toEqual(['a:7', 'b:8']);
  });

  it('gives the ids of dropped slots again, so records larger than batchSize never run the ids up', () => {
    const { acc, slots, dropped } = accumulator(8192, 1024);
    const tp = acc.partition('t', 0);
    for (let i = 0; i < 50; i++) {
      expect(acc.tryAppend(tp, prepared('z'.repeat(2000)), noop, 1)).toBe(true);
      events(acc.ring);
      acc.failAll(new Error('done'));
    }
    expect(slots).toHaveLength(50);
    expect(dropped).toHaveLength(50);
    expect(Math.max(...slots.map((x) => x.id))).toBe(0);
    // Each new slot with the id goes on from the last generation: an outcome names one batch only.
    expect(slots.map((x) => x.generation)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('a slot settled while a write still holds its bytes (pinned) is freed only once released; the records settle at once', () => {
    const { acc, slots, settled } = accumulator(2048, 1024);
    const tp = acc.partition('t', 0);
    acc.tryAppend(tp, prepared('a'), noop, 1);
    acc.sealAll();
    const first = slots[0] as Slot;
    acc.settle(first.id, first.generation, 0, 1, new Error('expired'), -1, -1, true);
    // Settled (flush no longer waits for it) but its memory stays charged: the next batch takes another slot.
    expect(acc.outstandingBatches).toBe(0);
    expect(settled).toEqual([]);
    expect(first.state).toBe(SEALED);
    acc.tryAppend(acc.partition('t', 1), prepared('b'), noop, 1);
    acc.sealAll();
    expect(slots).toHaveLength(2);
    expect(acc.tryAppend(acc.partition('t', 2), prepared('c'), noop, 1)).toBe(false);
    // A release naming another generation is not this batch's.
    acc.release(first.id, first.generation + 1);
    expect(first.state).toBe(SEALED);
    acc.release(first.id, first.generation);
    expect(settled).toEqual([0]);
    expect(first.state).toBe(FREE);
    expect(acc.tryAppend(acc.partition('t', 2), prepared('c'), noop, 1)).toBe(true);
    expect(slots).toHaveLength(2);
  });

  it('failAll (the sender is gone, its writes with it) frees pinned slots too', () => {
    const { acc, slots, settled } = accumulator(2048, 1024);
    acc.tryAppend(acc.partition('t', 0), prepared('a'), noop, 1);
    acc.sealAll();
    const slot = slots[0] as Slot;
    acc.settle(slot.id, slot.generation, 0, 1, new Error('expired'), -1, -1, true);
    acc.failAll(new Error('sender gone'));
    expect(settled).toEqual([0]);
    expect(slot.state).toBe(FREE);
  });

  it('flush marks: the oldest outstanding batch is tracked in creation order', () => {
    const { acc } = accumulator(8192, 1024);
    const a = acc.partition('t', 0);
    const b = acc.partition('t', 1);
    acc.tryAppend(a, prepared('1'), noop, 1);
    acc.tryAppend(b, prepared('2'), noop, 1);
    expect(acc.oldestOutstandingSeq).toBe(0);
    acc.settle(1, 1, 0, 1, null, 0, -1);
    expect(acc.oldestOutstandingSeq).toBe(0);
    acc.settle(0, 1, 0, 1, null, 0, -1);
    expect(acc.oldestOutstandingSeq).toBe(acc.nextBatchSeq);
  });
});

/** A sealed slot's batch as the sender reads it: through its own Slot over the shared buffer, sealed in a copy, decoded by the protocol's reader. */
function decodeSealed(slot: Slot) {
  const seen = new Slot(slot.id, slot.sab);
  const batch = Buffer.from(seen.bytes.subarray(0, seen.used));
  sealBatch(batch, { attributes: 0, lastOffsetDelta: seen.count - 1, baseTimestamp: seen.baseTimestamp, maxTimestamp: seen.maxTimestamp, producerId: -1, producerEpoch: -1, baseSequence: -1, recordCount: seen.count });
  const [decoded] = decodeRecordBatches(batch);
  return { count: seen.count, used: seen.used, crcValid: decoded?.crcValid, values: decoded?.records.map((r) => r.value?.toString()) ?? [] };
}

describe('batches main holds within a task', () => {
  /** The batch stays held until the task ends; then the sender seals it and finds its checksum valid. */
  async function sealedOnceLetGo(slot: Slot): Promise<ReturnType<typeof decodeSealed>> {
    expect(slot.state).toBe(APPENDING);
    await taskEnd();
    expect(slot.trySeal()).toBe(true);
    const decoded = decodeSealed(slot);
    expect(decoded.crcValid).toBe(true);
    return decoded;
  }

  it('records staged over several stage buffers, and one larger than a stage, reach the slot whole and in order', async () => {
    const { acc, slots } = accumulator(262_144, 131_072);
    const tp = acc.partition('t', 0);
    const values = [...Array.from({ length: 300 }, (_, i) => `${i}:${'s'.repeat(100)}`), 'L'.repeat(20_000), ...Array.from({ length: 300 }, (_, i) => `${300 + i}:${'t'.repeat(100)}`)];
    // One task: about 60 KiB of small records (several 16 KiB stages) around a 20 KB one.
    for (let i = 0; i < values.length; i++) acc.tryAppend(tp, prepared(values[i] as string, 1000 + i), noop, 1);
    const slot = slots[0] as Slot;
    expect(slots).toHaveLength(1);
    expect((await sealedOnceLetGo(slot)).values).toEqual(values);
    expect(slot.maxTimestamp).toBe(1000 + values.length - 1);
  });

  it('records of 512 bytes and more go straight into the slot, between staged ones, in order', async () => {
    const { acc, slots } = accumulator(262_144, 131_072);
    const tp = acc.partition('t', 0);
    // Small and large records alternate (and two large ones follow each other), all in one task.
    const values = Array.from({ length: 120 }, (_, i) => (i % 3 === 0 ? `${i}:${'s'.repeat(40)}` : `${i}:${'L'.repeat(600 + i)}`));
    for (let i = 0; i < values.length; i++) acc.tryAppend(tp, prepared(values[i] as string, 1000 + i), noop, 1);
    const slot = slots[0] as Slot;
    expect((await sealedOnceLetGo(slot)).values).toEqual(values);
    expect(slot.count).toBe(values.length);
  });

  it('a batch the sender wanted to seal while main held it is sealed when main lets go, its records in it', async () => {
    const { acc, slots } = accumulator();
    const tp = acc.partition('t', 0);
    acc.tryAppend(tp, prepared('a'), noop, 1);
    await taskEnd();
    expect(events(acc.ring)).toEqual([{ slotId: 0, kind: EVENT_OPENED }]);
    acc.tryAppend(tp, prepared('b'), noop, 1);
    const slot = slots[0] as Slot;
    // Linger time: the sender finds the batch held and asks for the seal.
    expect(slot.trySeal()).toBe(false);
    slot.wantSeal();
    await taskEnd();
    expect(slot.state).toBe(SEALED);
    expect(decodeSealed(slot).values).toEqual(['a', 'b']);
    expect(events(acc.ring)).toEqual([{ slotId: 0, kind: EVENT_SEALED }]);
    expect(tp.open).toBeNull();
    acc.tryAppend(tp, prepared('c'), noop, 1);
    expect(slots).toHaveLength(2);
  });

  it('holds at most 32 batches: past them a batch is written into its slot and let go at once', async () => {
    const { acc, slots } = accumulator(1 << 20, 1024);
    for (let p = 0; p < 40; p++) acc.tryAppend(acc.partition('t', p), prepared(`p${p}`), noop, 1);
    expect(slots.map((s) => s.state)).toEqual([...Array<number>(32).fill(APPENDING), ...Array<number>(8).fill(OPEN)]);
    expect(slots.slice(32).map((s) => s.count)).toEqual(Array<number>(8).fill(1));
    expect(events(acc.ring)).toEqual(Array.from({ length: 8 }, (_, k) => ({ slotId: 32 + k, kind: EVENT_OPENED })));
    await taskEnd();
    expect(slots.every((s) => s.state === OPEN && s.count === 1)).toBe(true);
    expect(events(acc.ring)).toEqual(Array.from({ length: 32 }, (_, k) => ({ slotId: k, kind: EVENT_OPENED })));
  });

  it('flush seals a held batch with its records in the slot; it is never announced open', async () => {
    const { acc, slots } = accumulator();
    const tp = acc.partition('t', 0);
    acc.tryAppend(tp, prepared('a'), noop, 1);
    acc.tryAppend(tp, prepared('b'), noop, 1);
    acc.sealAll();
    const slot = slots[0] as Slot;
    expect(slot.state).toBe(SEALED);
    expect(decodeSealed(slot).values).toEqual(['a', 'b']);
    await taskEnd();
    expect(events(acc.ring)).toEqual([{ slotId: 0, kind: EVENT_SEALED }]);
  });

  it('letGoOfHeld announces every held batch at once, before the task ends (a transaction step posted next sees them)', async () => {
    const { acc, slots } = accumulator(1 << 20, 1024);
    for (let p = 0; p < 3; p++) acc.tryAppend(acc.partition('t', p), prepared(`p${p}`), noop, 1);
    expect(events(acc.ring)).toEqual([]);
    acc.letGoOfHeld();
    expect(events(acc.ring)).toEqual([0, 1, 2].map((slotId) => ({ slotId, kind: EVENT_OPENED })));
    expect(slots.map((s) => [s.state, s.count])).toEqual([0, 1, 2].map(() => [OPEN, 1]));
    // The sender may seal them now; the end of the task changes nothing, and announces nothing twice.
    expect(slots.every((s) => s.trySeal())).toBe(true);
    await taskEnd();
    expect(events(acc.ring)).toEqual([]);
    expect(decodeSealed(slots[1] as Slot).values).toEqual(['p1']);
  });

  it('failAll settles the records of held batches too, and nothing is announced for them afterwards', async () => {
    const { acc, unwatched, settled } = accumulator();
    const tp = acc.partition('t', 0);
    acc.tryAppend(tp, prepared('a'), noop, 1);
    acc.tryAppend(tp, prepared('b'), noop, 1);
    const gone = new Error('sender gone');
    acc.failAll(gone);
    expect(unwatched).toEqual([[0, [0, 1], gone]]);
    expect(settled).toEqual([0]);
    await taskEnd();
    expect(events(acc.ring)).toEqual([]);
  });
});

describe('batches that grow under a backlog', () => {
  const value = (i: number) => `${String(i).padStart(4, '0')}${'v'.repeat(96)}`;

  it('a full batch grows in place while an earlier batch of its partition is unsettled, up to maxBatchSize, and the grown batch is one valid batch', () => {
    const { acc, slots } = accumulator(65_536, 1024, 8192);
    const tp = acc.partition('t', 0);
    let i = 0;
    // The first batch has no batch before it: it is sealed at batchSize.
    while (slots.length < 2) acc.tryAppend(tp, prepared(value(i++)), noop, 1);
    const first = slots[0] as Slot;
    expect(first.state).toBe(SEALED);
    expect(first.used).toBeLessThanOrEqual(1024);
    // Sealed full and unsettled: the next batch grows once full, so the sticky partitioner stays.
    expect(acc.growing('t', 0)).toBe(true);
    // The second has the first before it, unsettled: it grows instead of being sealed.
    while (slots.length < 3) acc.tryAppend(tp, prepared(value(i++)), noop, 1);
    const second = slots[1] as Slot;
    expect(second.state).toBe(SEALED);
    expect(second.capacity).toBe(8192);
    expect(second.used).toBeGreaterThan(8192 - 200);
    expect(second.used).toBeLessThanOrEqual(8192);
    const firstBatch = decodeSealed(first);
    const secondBatch = decodeSealed(second);
    expect(secondBatch.crcValid).toBe(true);
    expect(secondBatch.count).toBeGreaterThan(7 * firstBatch.count);
    expect(secondBatch.values).toEqual(Array.from({ length: secondBatch.count }, (_, k) => value(firstBatch.count + k)));
    expect(events(acc.ring).map((e) => [e.slotId, e.kind])).toEqual([
      [0, EVENT_SEALED],
      [1, EVENT_SEALED],
    ]);
    // Once the batches sealed full settle, and the open one has not grown, nothing grows.
    for (const s of [first, second]) acc.settle(s.id, s.generation, 0, s.count, null, 0, -1);
    expect(acc.growing('t', 0)).toBe(false);
  });

  it('a full batch grows while a batch of another partition is unsettled: with records spread by key, that is the backlog', async () => {
    const { acc, slots } = accumulator(65_536, 1024, 8192);
    const other = acc.partition('t', 1);
    acc.tryAppend(other, prepared('elsewhere'), noop, 1);
    const tp = acc.partition('t', 0);
    for (let i = 0; i < 20; i++) acc.tryAppend(tp, prepared(value(i)), noop, 1);
    const grown = slots[1] as Slot;
    expect(slots).toHaveLength(2);
    expect(grown.capacity).toBeGreaterThan(1024);
    await taskEnd();
    expect(grown.state).toBe(OPEN);
    expect(decodeSealed(grown).values).toEqual(Array.from({ length: 20 }, (_, k) => value(k)));
  });

  it('memory spent: sealIdle seals the open batches of partitions with nothing else unsettled and keeps the others filling', async () => {
    const { acc, slots } = accumulator(65_536, 1024);
    const busy = acc.partition('t', 0);
    // Partition 0: a batch sealed full, unsettled, and an open one behind it. Partition 1: only an open batch.
    while (slots.length < 2) acc.tryAppend(busy, prepared(value(slots.length)), noop, 1);
    acc.tryAppend(acc.partition('t', 1), prepared('alone'), noop, 1);
    const [full, behind, alone] = slots as [Slot, Slot, Slot];
    events(acc.ring);
    acc.sealIdle();
    // The batch main held for partition 1 is sealed with its record published; partition 0's stays held.
    expect([full.state, behind.state, alone.state]).toEqual([SEALED, APPENDING, SEALED]);
    expect(alone.count).toBe(1);
    expect(events(acc.ring).map((e) => [e.slotId, e.kind])).toEqual([[alone.id, EVENT_SEALED]]);
    acc.tryAppend(busy, prepared('more'), noop, 1);
    await taskEnd();
    expect(behind.state).toBe(OPEN);
    expect(behind.count).toBe(2);
    acc.sealAll();
    expect(behind.state).toBe(SEALED);
  });

  it('without a backlog batches stay at batchSize; with maxBatchSize = batchSize they never grow', () => {
    const light = accumulator(65_536, 1024, 8192);
    const tp = light.acc.partition('t', 0);
    for (let i = 0; i < 100; i++) {
      light.acc.tryAppend(tp, prepared(value(i)), noop, 1);
      // Every batch before the open one is settled as soon as it is sealed.
      for (const s of light.slots) if (s.state === SEALED) light.acc.settle(s.id, s.generation, 0, s.count, null, 0, -1);
    }
    expect(light.slots.every((s) => s.capacity === 1024)).toBe(true);
    expect(light.acc.growing('t', 0)).toBe(false);
    const off = accumulator(65_536, 1024);
    const tp2 = off.acc.partition('t', 0);
    for (let i = 0; i < 100; i++) off.acc.tryAppend(tp2, prepared(value(i)), noop, 1);
    expect(off.slots.length).toBeGreaterThan(8);
    expect(off.slots.every((s) => s.capacity === 1024 && s.used <= 1024)).toBe(true);
  });

  it('growth is paid from bufferMemory: a batch the budget cannot grow is sealed, and slots never hold more than bufferMemory', () => {
    const { acc, slots } = accumulator(4096, 1024, 8192);
    const tp = acc.partition('t', 0);
    let appended = 0;
    while (acc.tryAppend(tp, prepared(value(appended)), noop, 1)) {
      appended++;
      expect(slots.reduce((sum, s) => sum + s.capacity, 0)).toBeLessThanOrEqual(4096);
    }
    expect(acc.pool.availableMemory).toBe(0);
    // The second batch grew once, to 2048 (growing on to 4096 would cost 2048, and 1024 was left); the third could not grow at all.
    expect(slots.map((s) => s.capacity)).toEqual([1024, 2048, 1024]);
    expect(slots.map((s) => s.state)).toEqual([SEALED, SEALED, SEALED]);
    expect(decodeSealed(slots[1] as Slot).crcValid).toBe(true);
  });

  it('bufferMemory is a hard bound: whatever the order of appends, seals and outcomes, the slots that exist never hold more', async () => {
    const budget = 65_536;
    const live = new Map<number, Slot>();
    const acc = new RecordAccumulator(budget, 1024, 16_384, {
      onUnwatchedDelivered: () => {},
      onUnwatchedFailed: () => {},
      onSlotCreated: (s) => live.set(s.id, s),
      onSlotDropped: (id) => live.delete(id),
      onTopicPartition: () => {},
      onBatchSettled: () => {},
    });
    const tps = Array.from({ length: 8 }, (_, p) => acc.partition('t', p));
    const batches = new Set<Batch>();
    const handle: RecordHandle = handleOf({ watched: false, appended: (b) => batches.add(b), settle() {} });
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    let largest = 0;
    let refused = 0;
    for (let step = 0; step < 5000; step++) {
      const roll = random();
      if (roll < 0.75) {
        // Mostly small records, some larger than batchSize (they travel alone).
        const size = random() < 0.97 ? 10 + Math.floor(random() * 300) : 1500 + Math.floor(random() * 3000);
        if (!acc.tryAppend(tps[Math.floor(random() * tps.length)] as TopicPartition, prepared('r'.repeat(size)), handle, step)) refused++;
      } else if (roll < 0.85) {
        // The task ends, and the sender seals an open batch at linger time.
        await taskEnd();
        for (const b of batches) if (b.slot.state === OPEN && random() < 0.3) b.slot.trySeal();
      } else {
        // An outcome settles a sealed batch.
        const sealed = [...batches].filter((b) => b.slot.state === SEALED);
        const b = sealed[Math.floor(random() * sealed.length)];
        if (b) {
          acc.settle(b.slot.id, b.generation, 0, b.count, null, 0, -1);
          batches.delete(b);
        }
      }
      events(acc.ring);
      let held = 0;
      for (const slot of live.values()) {
        held += slot.capacity;
        if (slot.maxCapacity > 1024) largest = Math.max(largest, slot.capacity);
      }
      if (held > budget) throw new Error(`step ${step}: slots hold ${held} bytes, more than bufferMemory (${budget})`);
    }
    // Batches did grow, and the budget did run out, in this run.
    expect(largest).toBeGreaterThan(1024);
    expect(refused).toBeGreaterThan(0);
  });

  it('a grown slot goes back to the pool at its size and is paid for; the next batch in it starts at batchSize again', async () => {
    const { acc, slots, dropped } = accumulator(65_536, 1024, 8192);
    const tp = acc.partition('t', 0);
    let i = 0;
    while (slots.length < 3) acc.tryAppend(tp, prepared(value(i++)), noop, 1);
    await taskEnd();
    const grown = slots[1] as Slot;
    // Everything settles: the pool holds the grown slot, free, at 8192.
    for (const s of slots) acc.settle(s.id, s.generation, 0, s.count, null, 0, -1);
    expect(dropped).toEqual([]);
    expect(acc.pool.availableMemory).toBe(65_536);
    const other = acc.partition('t', 1);
    for (let k = 0; k < 3; k++) acc.tryAppend(other, prepared(value(k)), noop, 1);
    const reused = other.open?.slot;
    expect([grown.id, slots[0]?.id, slots[2]?.id]).toContain(reused?.id);
    // No backlog on partition 1: whatever slot it got, its batch is sealed at batchSize.
    while (other.open?.slot === reused) acc.tryAppend(other, prepared(value(i++)), noop, 1);
    expect(reused?.used).toBeLessThanOrEqual(1024);
  });
});

describe('BufferPool', () => {
  it('reuses pooled slots and gives one-off sizes back to the budget', () => {
    const dropped: number[] = [];
    const pool = new BufferPool(4096, 1024, 1024, () => {}, (s) => dropped.push(s.id));
    const a = pool.allocate(100) as Slot;
    pool.release(a);
    expect(pool.allocate(100)).toBe(a);
    const big = pool.allocate(2500) as Slot;
    expect(big.capacity).toBe(2500);
    expect(pool.allocate(2000)).toBeNull();
    pool.release(big);
    expect(dropped).toEqual([big.id]);
    expect(pool.availableMemory).toBe(4096 - 1024);
  });

  it('grows a slot only as far as the budget pays, dropping free pooled slots to pay for it', () => {
    const dropped: number[] = [];
    const pool = new BufferPool(4096, 1024, 8192, () => {}, (s) => dropped.push(s.id));
    const a = pool.allocate(100) as Slot;
    const b = pool.allocate(100) as Slot;
    pool.release(b);
    expect(pool.grow(a, 2048)).toBe(true);
    expect(pool.availableMemory).toBe(4096 - 2048);
    // 3072 needs the free slot's bytes back.
    expect(pool.grow(a, 4096)).toBe(true);
    expect(dropped).toEqual([b.id]);
    expect(pool.availableMemory).toBe(0);
    expect(pool.grow(a, 8192)).toBe(false);
    expect(a.capacity).toBe(4096);
    pool.release(a);
    expect(pool.availableMemory).toBe(4096);
    expect(pool.allocate(100)).toBe(a);
  });

  it('never drops a grown free slot to pay for the growth of another; grown free slots are taken first; a one-off size may still take their bytes', () => {
    const dropped: number[] = [];
    const pool = new BufferPool(9216, 1024, 4096, () => {}, (s) => dropped.push(s.id));
    const grown = pool.allocate(100) as Slot;
    expect(pool.grow(grown, 4096)).toBe(true);
    const plain = pool.allocate(100) as Slot;
    const other = pool.allocate(100) as Slot;
    expect(pool.grow(other, 4096)).toBe(true);
    expect(pool.availableMemory).toBe(0);
    pool.release(grown);
    // Only the grown free slot could pay for plain's growth: it is kept, and plain stays as it is.
    expect(pool.grow(plain, 2048)).toBe(false);
    expect(plain.capacity).toBe(1024);
    expect(dropped).toEqual([]);
    // The next batch gets the grown slot, with its room.
    expect(pool.allocate(100)).toBe(grown);
    pool.release(grown);
    // A record larger than batchSize gets its bytes.
    expect(pool.allocate(3000)?.capacity).toBe(3000);
    expect(dropped).toEqual([grown.id]);
  });
});

describe('EventRing', () => {
  it('hands events over in order and refuses to overrun the consumer', () => {
    const ring = new EventRing(4);
    for (const e of [1, 2, 3, 4]) ring.push(e);
    expect(() => ring.push(5)).toThrow(/overflow/);
    const seen: number[] = [];
    ring.drain((e) => seen.push(e));
    ring.push(6);
    ring.drain((e) => seen.push(e));
    expect(seen).toEqual([1, 2, 3, 4, 6]);
  });

  it('wakes a waiting consumer', async () => {
    const ring = new EventRing(8);
    const waiting = ring.waitForEvents();
    expect(waiting).not.toBeNull();
    ring.push(7);
    await expect(waiting).resolves.toBe('ok');
  });
});
