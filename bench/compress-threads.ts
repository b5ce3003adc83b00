// npm run bench:threads: how many 16 KiB batches of 1 KiB JSON
// values one thread compresses per second, against a pool of 2 worker threads
// splitting the same batches: whether a second core would help the sender,
// whose worker compresses every batch. Prints batches/s and CPU ms per batch
// for each codec.
//
//   THREADS_SECONDS=3   seconds per measurement

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { compress, loadCodecs, type CompressionType } from '../src/protocol/compression.js';
import { jsonValues } from './json-values.js';

const CODECS: CompressionType[] = ['lz4', 'snappy', 'zstd', 'gzip'];
const BATCH = 16 * 1024;

function batches(): Buffer[] {
  const values = jsonValues(1024, 1024);
  return Array.from({ length: 64 }, (_, k) => Buffer.concat(values.slice(k * 16, k * 16 + 16)).subarray(0, BATCH));
}

/** Compresses batches for `ms`; returns how many. */
function spin(codec: CompressionType, inputs: Buffer[], ms: number): number {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (const b of inputs) compress(codec, b);
    n += inputs.length;
  }
  return n;
}

if (!isMainThread) {
  await loadCodecs();
  const { codec, ms } = workerData as { codec: CompressionType; ms: number };
  parentPort?.postMessage(spin(codec, batches(), ms));
} else {
  await loadCodecs();
  const ms = Number(process.env.THREADS_SECONDS ?? 3) * 1000;
  const inputs = batches();
  for (const codec of CODECS) {
    spin(codec, inputs, 200);
    let cpu = process.cpuUsage();
    const one = spin(codec, inputs, ms);
    const oneCpu = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    const counts = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<number>((resolve, reject) => {
            const w = new Worker(new URL(import.meta.url), { workerData: { codec, ms } });
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
    const twoCpu = process.cpuUsage(cpu);
    const two = counts.reduce((a, b) => a + b, 0);
    const perBatch = (c: NodeJS.CpuUsage, n: number) => ((c.user + c.system) / 1000 / n).toFixed(3);
    console.log(
      `${codec.padEnd(6)} one thread ${Math.round(one / (ms / 1000))} batches/s (${perBatch(oneCpu, one)} CPU ms each); ` +
        `2 workers ${Math.round(two / (ms / 1000))} batches/s (${perBatch(twoCpu, two)} CPU ms each, start-up included): ${(two / one).toFixed(2)}x`,
    );
  }
}
