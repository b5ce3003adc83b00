// npm run bench:encode: CPU time per 1 KiB record of the encoding hot path,
// in one process and without a broker, so that it can be compared between
// builds on a busy machine where end-to-end runs (bench:solo) are noisy:
//   append  the main thread writes each record into a batch slot (shared memory)
//   seal    the sender fills each 16 KiB batch's header and CRC-32C, and
//           encodes Produce requests of six batches
// Batches spread over 2048 slots (bufferMemory 32 MiB at batchSize 16 KiB),
// so caches see what they see in a producer. Each figure is the median (and
// the minimum) over runs, in CPU seconds per million records.
//
//   node dist/bench/encode.js [ROOT ...]   builds to compare (default: this one), runs alternate
//   BENCH_RUNS=15                         runs per build

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './machine.js';

type Modules = {
  slot: typeof import('../src/accumulator/slot.js');
  batch: typeof import('../src/sender/sender-batch.js');
  records: typeof import('../src/protocol/record-batch.js');
  api: typeof import('../src/protocol/api.js');
  produce: typeof import('../src/protocol/apis/produce.js');
};

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 15));
const SLOTS = 2048;
const SLOT_SIZE = 16384;
const VALUE_SIZE = 1024;
const BATCHES_PER_REQUEST = 6;

async function load(root: string): Promise<Modules> {
  const at = (p: string) => import(pathToFileURL(path.join(root, 'dist', 'src', p)).href);
  return {
    slot: await at('accumulator/slot.js'),
    batch: await at('sender/sender-batch.js'),
    records: await at('protocol/record-batch.js'),
    api: await at('protocol/api.js'),
    produce: await at('protocol/apis/produce.js'),
  };
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const values = Array.from({ length: 1024 }, () => randomBytes(VALUE_SIZE));

/** Fills every slot with 1 KiB keyless records; returns CPU s per million records. */
function append(m: Modules, slots: InstanceType<Modules['slot']['Slot']>[]): number {
  const { recordBodySize, writeRecord, BATCH_HEADER_SIZE } = m.records;
  let records = 0;
  const t0 = cpuMicros();
  for (const slot of slots) {
    slot.open(0, 0, 0);
    let pos = BATCH_HEADER_SIZE;
    let n = 0;
    for (;;) {
      const value = values[records % values.length] as Buffer;
      const body = recordBodySize(n, 0, -1, value.length, 1);
      if (pos + body + 2 > slot.capacity) break;
      pos = writeRecord(slot.bytes, pos, body, n, 0, null, -1, value, value.length, []);
      n++;
      records++;
    }
    slot.publish(n, pos, 0);
    slot.endAppend();
  }
  return (cpuMicros() - t0) / records;
}

/** Seals every slot's batch as the sender does and encodes the Produce requests. */
function seal(m: Modules, slots: InstanceType<Modules['slot']['Slot']>[]): number {
  let records = 0;
  const t0 = cpuMicros();
  for (let i = 0; i < slots.length; i += BATCHES_PER_REQUEST) {
    const partitionData = [];
    for (let k = i; k < Math.min(i + BATCHES_PER_REQUEST, slots.length); k++) {
      const b = m.batch.SenderBatch.fromSlot(slots[k] as InstanceType<Modules['slot']['Slot']>, k);
      b.assign(1000, 0, k * 16);
      partitionData.push({ index: k % BATCHES_PER_REQUEST, records: b.prepare('none', false) });
      records += b.count;
    }
    m.api.encodeRequest(m.produce.Produce, 11, i, 'bench', { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: 'bench', partitionData }] });
  }
  return (cpuMicros() - t0) / records;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const roots = process.argv.length > 2 ? process.argv.slice(2).map((r) => path.resolve(r)) : [ROOT];
const builds = await Promise.all(
  roots.map(async (root) => {
    const m = await load(root);
    return { root, m, slots: Array.from({ length: SLOTS }, (_, id) => new m.slot.Slot(id, SLOT_SIZE)), append: [] as number[], seal: [] as number[] };
  }),
);
for (let run = 0; run <= RUNS; run++) {
  for (const b of run % 2 === 0 ? builds : [...builds].reverse()) {
    const a = append(b.m, b.slots);
    const s = seal(b.m, b.slots);
    // Run 0 warms up: slots touched, code optimized.
    if (run === 0) continue;
    b.append.push(a);
    b.seal.push(s);
  }
}
console.log(`bench:encode: ${RUNS} runs per build, ${VALUE_SIZE} B keyless records; CPU s per million records, median (min)`);
for (const b of builds) {
  const fmt = (xs: number[]) => `${median(xs).toFixed(3)} (${Math.min(...xs).toFixed(3)})`;
  console.log(`${b.root}: append ${fmt(b.append)}, seal ${fmt(b.seal)}`);
}
