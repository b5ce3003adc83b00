// CRC-32C (Castagnoli), the checksum of record batch v2. The work is done by a
// small WebAssembly module (crc32c.wat beside this file, which says how): its
// 16-byte XORs have no JavaScript equivalent, and slicing tables in JavaScript
// ran at 1.1-1.5x crc-32/crc32c where the module runs at 6-8x (bench/crc.ts).
// Each thread that computes a CRC instantiates the module once, on first use.

import { copyBytes } from './copy-bytes.js';
import { CRC32C_WASM } from './crc32c-wasm.js';

const TABLES = 8;
/** Where the module expects the input; the bytes before it are its tables and a zero area. */
const INPUT = 8704;
/** Input bytes per call; the module's two pages hold this much plus 320 bytes of scratch. */
const CHUNK = 65536;

interface Crc32cExports {
  memory: { buffer: ArrayBuffer };
  update(register: number, start: number, end: number): number;
}

// Node has WebAssembly as a global; the TypeScript libraries this project
// compiles with (ES2024, no DOM) do not declare it.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Crc32cExports };
};

interface Crc32cModule {
  memory: Buffer;
  update(register: number, start: number, end: number): number;
}

let instance: Crc32cModule | null = null;

function instantiate(): Crc32cModule {
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(CRC32C_WASM));
  // Table k, entry b: the register after byte b and then k zero bytes, from a
  // zero register (reflected polynomial 0x82F63B78), stored little-endian as
  // the module reads it whatever this machine's byte order.
  const view = new DataView(exports.memory.buffer);
  const first = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    first[b] = c;
  }
  for (let b = 0; b < 256; b++) {
    let c = first[b] as number;
    for (let k = 0; k < TABLES; k++) {
      view.setInt32(k * 1024 + b * 4, c, true);
      c = (c >>> 8) ^ (first[c & 0xff] as number);
    }
  }
  return { memory: Buffer.from(exports.memory.buffer), update: exports.update };
}

/** Unsigned CRC-32C of bytes [start, end) of buf. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  const m = instance ?? (instance = instantiate());
  let register = -1;
  for (let at = start; at < end; at += CHUNK) {
    const n = Math.min(CHUNK, end - at);
    copyBytes(m.memory, INPUT, buf.subarray(at, at + n));
    register = m.update(register, INPUT, INPUT + n);
  }
  return ~register >>> 0;
}
