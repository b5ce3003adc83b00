// Snappy inside a record batch, framed as the Java client frames it (xerial):
// a 16-byte header, then blocks of int32 compressed length + one raw snappy
// block of at most 32 KiB of input. Reading also accepts one raw block with
// no header, which librdkafka and franz-go write. Blocks are compressed by
// the snap crate as WebAssembly where it loads (about three times snappyjs's
// speed), else by snappyjs; snappyjs also reads every block.

import snappy from 'snappyjs';
import { snappyWasmBlock, type BlockCompressor } from './wasm-blocks.js';

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const BLOCK_INPUT_SIZE = 32 * 1024;

const SNAPPYJS_BLOCK: BlockCompressor = (input) => snappy.compress(input);

export function snappyCompress(input: Uint8Array, block: BlockCompressor = snappyWasmBlock() ?? SNAPPYJS_BLOCK): Buffer {
  const blocks: Uint8Array[] = [];
  let total = XERIAL_HEADER_SIZE;
  let at = 0;
  do {
    const compressed = block(input.subarray(at, at + BLOCK_INPUT_SIZE));
    blocks.push(compressed);
    total += 4 + compressed.length;
    at += BLOCK_INPUT_SIZE;
  } while (at < input.length);
  const out = Buffer.allocUnsafe(total);
  XERIAL_MAGIC.copy(out, 0);
  out.writeInt32BE(1, 8); // version
  out.writeInt32BE(1, 12); // minimum compatible version
  let pos = XERIAL_HEADER_SIZE;
  for (const compressed of blocks) {
    out.writeInt32BE(compressed.length, pos);
    out.set(compressed, pos + 4);
    pos += 4 + compressed.length;
  }
  return out;
}

export function snappyDecompress(input: Uint8Array): Buffer {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.length);
  if (buf.length < XERIAL_HEADER_SIZE || !buf.subarray(0, 8).equals(XERIAL_MAGIC)) {
    return Buffer.from(snappy.uncompress(buf));
  }
  const parts: Buffer[] = [];
  let pos = XERIAL_HEADER_SIZE;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) throw new Error(`snappy: truncated xerial block length at offset ${pos}`);
    const len = buf.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > buf.length) throw new Error(`snappy: xerial block of ${len} bytes overruns the input at offset ${pos}`);
    parts.push(Buffer.from(snappy.uncompress(buf.subarray(pos, pos + len))));
    pos += len;
  }
  return Buffer.concat(parts);
}
