// npm run bench:memory: peak RSS while 500,000 records of 1 KiB, each a new
// Buffer, go through the producer at its default bufferMemory (32 MiB), each
// way in a fresh process on a fresh topic: an idle producer (the baseline),
// stream.pipeline() into producer.writable(), a loop paced with
// `if (producer.needsDrain) await producer.ready()` (fire-and-forget:
// failures are counted in metrics()), and a tight loop of
// unawaited send() calls that never yields (past the waiting-sends bound
// they fail at once), fire-and-forget and with a callback per record.
// Peak RSS is the process's high-water mark (process.resourceUsage().maxRSS).
// Each way runs under Node's default V8 heap settings and again with
// --max-semi-space-size=2: V8 grows the application's young generation to
// 2 x 16 MiB under any steady allocation that leaves survivors, and that
// alone is half of the 64 MB allowed on top of bufferMemory, so the report
// shows how much of the peak is V8's young generation and how much is ours.
//
//   BENCH_MEMORY_RECORDS=n   records per run (default 500000)
//   BENCH_MEMORY_ROUNDS=n    runs per way and setting (default 3; median and max reported)

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { KafkaProducer } from '../src/index.js';
import { Topics } from '../scripts/kafka/topics.js';
import { broker } from './broker.js';
import { ROOT } from './machine.js';
import { runProcess, tailOf } from './proc.js';

const VARIANTS = ['idle', 'stream', 'paced-loop', 'tight-loop', 'tight-loop-callbacks'] as const;
type Variant = (typeof VARIANTS)[number];
const BUFFER_MEMORY = 33_554_432;
/** The V8 settings each way runs under: Node's defaults, and a young generation capped at 2 x 2 MiB. */
const SETTINGS = [
  { label: 'Node defaults', flags: [] as string[] },
  { label: '--max-semi-space-size=2', flags: ['--max-semi-space-size=2'] },
];
const VALUE_SIZE = 1024;

interface ChildResult {
  variant: Variant;
  peakRssMb: number;
  delivered: number;
  failed: number;
  firstError: string | null;
  seconds: number;
}

/** A new Buffer per record, as an application building messages would have. */
function value(i: number): Buffer {
  const b = Buffer.allocUnsafe(VALUE_SIZE);
  b.fill(i & 0xff);
  b.writeUInt32BE(i, 0);
  return b;
}

async function child(variant: Variant, bootstrap: string, topic: string, n: number): Promise<ChildResult> {
  const producer = new KafkaProducer({ bootstrapServers: bootstrap, bufferMemory: BUFFER_MEMORY });
  let delivered = 0;
  let failed = 0;
  let firstError: string | null = null;
  const done = (err: Error | null): void => {
    if (!err) delivered++;
    else {
      failed++;
      firstError ??= `${err.name}: ${err.message}`;
    }
  };
  await producer.partitionsFor(topic);
  const started = performance.now();
  if (variant === 'stream') {
    async function* records() {
      for (let i = 0; i < n; i++) yield { value: value(i) };
    }
    await pipeline(Readable.from(records()), producer.writable({ topic }));
    delivered = n;
  } else if (variant === 'tight-loop') {
    // Fire-and-forget as the README shows it: failures are counted in metrics().
    for (let i = 0; i < n; i++) producer.send({ topic, value: value(i) });
  } else if (variant === 'tight-loop-callbacks') {
    for (let i = 0; i < n; i++) producer.send({ topic, value: value(i) }, done);
  } else if (variant === 'paced-loop') {
    for (let i = 0; i < n; i++) {
      if (producer.needsDrain) await producer.ready();
      producer.send({ topic, value: value(i) });
    }
  }
  await producer.flush();
  const seconds = (performance.now() - started) / 1000;
  if (variant === 'tight-loop' || variant === 'paced-loop') failed = producer.metrics().recordsFailed;
  await producer.close();
  return { variant, peakRssMb: process.resourceUsage().maxRSS / 1024, delivered, failed, firstError, seconds };
}

/** One run of one way in a fresh process, and what reached the broker. */
async function runOnce(variant: Variant, flags: string[], topics: Topics, bootstrap: string, n: number): Promise<ChildResult> {
  const topic = `bench-memory-${variant}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  await topics.create(topic, 6);
  const out = await runProcess(process.execPath, [...flags, fileURLToPath(import.meta.url), 'child', variant, bootstrap, topic, String(n)], 600_000);
  const last = out.stdout.trim().split('\n').at(-1) ?? '';
  let r: ChildResult;
  try {
    r = JSON.parse(last) as ChildResult;
  } catch {
    throw new Error(`bench:memory ${variant} failed (exit ${out.code}): ${tailOf(out.stderr || out.stdout)}`);
  }
  // What reached the broker, not what the client claims.
  if (variant !== 'idle') r.delivered = await topics.count(topic, 6);
  await topics.delete(topic);
  return r;
}

interface Row {
  variant: Variant;
  setting: string;
  runs: ChildResult[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

async function main(): Promise<void> {
  const n = Number(process.env.BENCH_MEMORY_RECORDS ?? 500_000);
  const rounds = Number(process.env.BENCH_MEMORY_ROUNDS ?? 3);
  const b = await broker();
  const topics = new Topics(b.bootstrap, 'kafka-producer-ts-bench');
  const rows: Row[] = [];
  try {
    for (const setting of SETTINGS) {
      for (const variant of VARIANTS) {
        const row: Row = { variant, setting: setting.label, runs: [] };
        for (let i = 0; i < rounds; i++) row.runs.push(await runOnce(variant, setting.flags, topics, b.bootstrap, n));
        rows.push(row);
        process.stderr.write(`bench:memory ${setting.label} ${variant}: peak RSS ${row.runs.map((r) => r.peakRssMb.toFixed(0)).join(', ')} MB\n`);
      }
    }
  } finally {
    await topics.close();
    await b.stop();
  }
  const peaks = (r: Row): number[] => r.runs.map((x) => x.peakRssMb);
  const idleRow = rows.find((r) => r.variant === 'idle' && r.setting === 'Node defaults');
  const idle = idleRow ? median(peaks(idleRow)) : 0;
  const limit = idle + BUFFER_MEMORY / 1048576 + 64;
  const lines = [
    `# Peak RSS, ${n.toLocaleString('en-US')} records of 1 KiB (a new Buffer each), bufferMemory 32 MiB`,
    '',
    `Broker: ${b.description}. Node ${process.version}. ${rounds} runs per row, each in a fresh process. Limit: idle producer (median, Node defaults) + bufferMemory + 64 MB = ${limit.toFixed(0)} MB; a row is within it when its highest run is.`,
    '',
    '| way | V8 settings | peak RSS median (MB) | min–max | within limit | records in the topic | failed at send | seconds (median) |',
    '|---|---|---:|---:|---|---:|---:|---:|',
    ...rows.map((r) => {
      const p = peaks(r);
      const last = r.runs.at(-1) as ChildResult;
      const idleWay = r.variant === 'idle';
      return `| ${r.variant} | ${r.setting} | ${median(p).toFixed(0)} | ${Math.min(...p).toFixed(0)}–${Math.max(...p).toFixed(0)} | ${idleWay ? '(baseline)' : Math.max(...p) <= limit ? 'yes' : '**no**'} | ${idleWay ? '-' : last.delivered.toLocaleString('en-US')} | ${idleWay ? '-' : last.failed.toLocaleString('en-US')} | ${median(r.runs.map((x) => x.seconds)).toFixed(1)} |`;
    }),
    '',
    'Records in the topic and failed at send are from the last run of each row.',
    '',
    ...rows.flatMap((r) => r.runs.filter((x) => x.firstError).slice(0, 1).map((x) => `${r.variant} (${r.setting}), first failure: ${x.firstError}`)),
  ];
  const report = lines.join('\n') + '\n';
  process.stdout.write(report);
  mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench', 'results', 'MEMORY.md'), report);
}

if (process.argv[2] === 'child') {
  const [, , , variant, bootstrap, topic, n] = process.argv;
  const r = await child(variant as Variant, bootstrap as string, topic as string, Number(n));
  process.stdout.write(JSON.stringify(r) + '\n');
} else {
  await main();
}
