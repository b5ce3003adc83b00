// npm run bench:crc: CRC-32C throughput of ours (src/protocol/crc32c.ts)
// against crc-32/crc32c, the reference the unit tests compare with, on the
// sizes record batches and requests have. Each run times both on the same
// random bytes, alternating which goes first; the figure per size is the
// median over runs, in MB/s of CPU time (user + system of this process), so
// that time the machine gives to other processes is not counted.
//
//   BENCH_RUNS=9     runs per size (default 7)

import { randomBytes } from 'node:crypto';
import CRC32C from 'crc-32/crc32c.js';
import { crc32c } from '../src/protocol/crc32c.js';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 7));
const SIZES = [16 << 10, 64 << 10, 256 << 10, 1 << 20];
/** Bytes hashed per timed sample: enough to dwarf the timer's resolution. */
const BYTES_PER_SAMPLE = 64 << 20;

const implementations: Record<string, (b: Uint8Array) => number> = {
  ours: (b) => crc32c(b),
  'crc-32': (b) => CRC32C.buf(b) >>> 0,
};

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** MB/s (10^6 bytes per CPU second) of `f` over `buf`, whose CRC is `expected`. */
function sample(f: (b: Uint8Array) => number, buf: Uint8Array, expected: number): number {
  const iterations = Math.max(1, Math.round(BYTES_PER_SAMPLE / buf.length));
  let crc = 0;
  const t0 = cpuMicros();
  for (let i = 0; i < iterations; i++) crc = f(buf);
  const micros = cpuMicros() - t0;
  if (crc !== expected) throw new Error(`a wrong CRC for ${buf.length} bytes`);
  return (iterations * buf.length) / micros;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const names = Object.keys(implementations);
console.log(`bench:crc: ${RUNS} runs per size, node ${process.version}; MB/s (median, min-max)`);
console.log(['size', ...names, 'ratio'].join('\t'));
for (const size of SIZES) {
  // Unaligned on purpose: batches start anywhere in a request buffer.
  const buf = randomBytes(size + 1).subarray(1);
  const expected = CRC32C.buf(buf) >>> 0;
  const results: Record<string, number[]> = {};
  for (const name of names) {
    sample(implementations[name] as (b: Uint8Array) => number, buf, expected); // warm-up: compiled and tiered up before timing
    results[name] = [];
  }
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 === 0 ? names : [...names].reverse();
    for (const name of order) results[name]?.push(sample(implementations[name] as (b: Uint8Array) => number, buf, expected));
  }
  const cells = names.map((n) => {
    const r = results[n] as number[];
    return `${median(r).toFixed(0)} (${Math.min(...r).toFixed(0)}-${Math.max(...r).toFixed(0)})`;
  });
  const ratio = median(results.ours as number[]) / median(results['crc-32'] as number[]);
  console.log([`${size >> 10} KiB`, ...cells, `${ratio.toFixed(2)}x`].join('\t'));
}
