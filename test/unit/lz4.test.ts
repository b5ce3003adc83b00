import { spawnSync } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { lz4Compress, lz4Decompress, xxhash32 } from '../../src/protocol/codecs/lz4.js';
import { lz4WasmBlock } from '../../src/protocol/codecs/wasm-blocks.js';
import { pseudoRandomBytes } from '../support/pseudo-random.js';

function repeatToLength(unit: string, length: number): Buffer {
  return Buffer.from(unit.repeat(Math.ceil(length / unit.length)).slice(0, length));
}

// JSON-ish text with some variety, closer to real Kafka payloads than a single repeated string.
function jsonLikeText(length: number): Buffer {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const line = `{"id":${i},"user":"user-${(i * 7919) % 1000}","event":"${['click', 'view', 'purchase'][i % 3]}","ts":${1_700_000_000_000 + i * 37}}\n`;
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join('').slice(0, length));
}

function roundTrip(input: Uint8Array): Buffer {
  const compressed = lz4Compress(input);
  const restored = lz4Decompress(compressed);
  expect(restored.equals(input)).toBe(true);
  return compressed;
}

function blockSizes(frame: Buffer): number[] {
  const sizes: number[] = [];
  let pos = 7;
  for (;;) {
    const word = frame.readUInt32LE(pos);
    sizes.push(word);
    if (word === 0) return sizes;
    pos += 4 + (word & 0x7fffffff);
  }
}

// python lz4 as the unit project's global setup installed it (test/support/unit-global-setup.ts).
const pythonLz4 = inject('pythonLz4');

// Applies a python expression over `chunk` to every input in one python process
// (startup dominates otherwise); inputs and results travel length-prefixed.
function pythonMap(expression: string, inputs: Uint8Array[]): Buffer[] {
  const script = [
    'import sys, struct, lz4.frame',
    'data = sys.stdin.buffer.read(); pos = 0',
    'while pos < len(data):',
    '    n, = struct.unpack_from("<I", data, pos); chunk = data[pos + 4:pos + 4 + n]; pos += 4 + n',
    `    result = ${expression}`,
    '    sys.stdout.buffer.write(struct.pack("<I", len(result)) + result)',
  ].join('\n');
  const framed = Buffer.concat(inputs.flatMap((input) => [lengthPrefix(input.length), input]));
  const result = spawnSync(pythonLz4.python, ['-c', script], {
    input: framed,
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, PYTHONPATH: pythonLz4.pythonPath },
  });
  if (result.error || result.status !== 0) {
    throw new Error(`${pythonLz4.python} failed: ${result.error?.message ?? result.stderr.toString()}`);
  }
  const outputs: Buffer[] = [];
  for (let pos = 0; pos < result.stdout.length; ) {
    const length = result.stdout.readUInt32LE(pos);
    outputs.push(result.stdout.subarray(pos + 4, pos + 4 + length));
    pos += 4 + length;
  }
  expect(outputs).toHaveLength(inputs.length);
  return outputs;
}

function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(length);
  return prefix;
}

describe('xxhash32', () => {
  it('matches reference vectors', () => {
    expect(xxhash32(new Uint8Array(0), 0)).toBe(0x02cc5d05);
    expect(xxhash32(Buffer.from('a'), 0)).toBe(0x550d7456);
    expect(xxhash32(Buffer.from('abc'), 0)).toBe(0x32d153ff);
    expect(xxhash32(Buffer.from('abc'), 0x9e3779b1)).toBe(0xa1ae7709);
    // Longer than 16 bytes, so the four-lane path runs too.
    expect(xxhash32(Buffer.from('Nobody inspects the spammish repetition'), 0)).toBe(0xe2293b2f);
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(xxhash32(bytes, 0)).toBe(0x59441253);
    expect(xxhash32(bytes, 0x9e3779b1)).toBe(0x2f6efc73);
  });
});

describe('lz4 block compressors', () => {
  it('lz4_flex loads as WebAssembly here, so the fallback is not what runs', () => {
    expect(lz4WasmBlock()).not.toBeNull();
  });

  it('both write blocks our decoder and each other agree on, at every size up to past two blocks', () => {
    for (const length of [0, 1, 5, 12, 13, 14, 100, 1024, 16_384, 65_535, 65_536, 65_537, 140_000]) {
      const input = jsonLikeText(length);
      const wasm = lz4Compress(input);
      const ours = lz4Compress(input, null);
      expect(lz4Decompress(wasm).equals(input), `${length} bytes, WebAssembly`).toBe(true);
      expect(lz4Decompress(ours).equals(input), `${length} bytes, ours`).toBe(true);
      // Same blocks layout, same compression within a few percent.
      expect(blockSizes(wasm).length).toBe(blockSizes(ours).length);
      expect(Math.abs(wasm.length - ours.length)).toBeLessThanOrEqual(Math.max(16, ours.length * 0.05));
    }
  });

  it('store an incompressible block uncompressed either way', () => {
    const input = pseudoRandomBytes(100_000, 5);
    for (const frame of [lz4Compress(input), lz4Compress(input, null)]) {
      for (const word of blockSizes(frame).slice(0, -1)) expect(word >>> 31).toBe(1);
      expect(lz4Decompress(frame).equals(input)).toBe(true);
    }
  });
});

describe('lz4Compress frame layout', () => {
  it('writes the same frame header as the Java client', () => {
    const frame = lz4Compress(Buffer.from('hello'));
    expect([...frame.subarray(0, 7)]).toEqual([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
    expect((xxhash32(Uint8Array.of(0x60, 0x40), 0) >>> 8) & 0xff).toBe(0x82);
  });

  it('writes an empty input as header plus end mark', () => {
    expect([...lz4Compress(new Uint8Array(0))]).toEqual([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 0, 0, 0, 0]);
  });

  it('splits input into 64 KiB blocks and ends with a zero end mark', () => {
    const input = jsonLikeText(3 * 65536 + 1000);
    const frame = lz4Compress(input);
    const sizes = blockSizes(frame);
    expect(sizes).toHaveLength(5);
    expect(sizes.at(-1)).toBe(0);
    expect(frame.subarray(-4).equals(Buffer.alloc(4))).toBe(true);
  });

  it('stores incompressible blocks uncompressed', () => {
    const input = pseudoRandomBytes(200 * 1024, 42);
    const frame = lz4Compress(input);
    const sizes = blockSizes(frame).slice(0, -1);
    expect(sizes).toHaveLength(4);
    for (const word of sizes) expect(word >>> 31).toBe(1);
    expect(frame.length).toBe(7 + 4 * 4 + input.length + 4);
  });

  it('actually compresses repetitive input', () => {
    const input = repeatToLength('The quick brown fox jumps over the lazy dog. ', 1024 * 1024);
    const frame = roundTrip(input);
    expect(frame.length).toBeLessThan(input.length * 0.05);
  });

  it('is deterministic across calls', () => {
    const input = jsonLikeText(100_000);
    lz4Compress(pseudoRandomBytes(70_000, 7));
    expect(lz4Compress(input).equals(lz4Compress(input))).toBe(true);
  });
});

describe('lz4 round trips', () => {
  it('empty input', () => {
    expect(roundTrip(new Uint8Array(0)).length).toBe(11);
  });

  it('1 byte', () => {
    roundTrip(Uint8Array.of(0xab));
  });

  it('13 bytes (the smallest block that may contain a match)', () => {
    roundTrip(Buffer.from('aaaaaaaaaaaaa'));
    roundTrip(Buffer.from('abcdabcdabcda'));
  });

  it('lengths around the block-format boundaries', () => {
    for (let n = 0; n <= 40; n++) {
      roundTrip(Buffer.alloc(n, 0x61));
      roundTrip(repeatToLength('xyz', n));
      roundTrip(pseudoRandomBytes(n, n + 1));
    }
  });

  it('highly repetitive 1 MB', () => {
    roundTrip(Buffer.alloc(1024 * 1024, 0));
    roundTrip(repeatToLength('abcdefgh', 1024 * 1024));
  });

  it('random 200 KB', () => {
    roundTrip(pseudoRandomBytes(200 * 1024, 1234));
  });

  it('text spanning several 64 KiB blocks', () => {
    roundTrip(jsonLikeText(5 * 65536 + 12345));
  });

  it('long literal runs followed by matches', () => {
    const input = Buffer.concat([pseudoRandomBytes(1000, 9), pseudoRandomBytes(1000, 9), pseudoRandomBytes(300, 3)]);
    const frame = roundTrip(input);
    expect(frame.length).toBeLessThan(input.length);
  });
});

describe('lz4Decompress rejects malformed input', () => {
  const good = lz4Compress(jsonLikeText(5000));

  it('empty input', () => {
    expect(() => lz4Decompress(new Uint8Array(0))).toThrow(/truncated/);
  });

  it('bad magic', () => {
    const bad = Buffer.from(good);
    bad[0] = 0x05;
    expect(() => lz4Decompress(bad)).toThrow(/magic/);
  });

  it('bad header checksum', () => {
    const bad = Buffer.from(good);
    bad[6] = 0x00;
    expect(() => lz4Decompress(bad)).toThrow(/header checksum/);
  });

  it('every truncation', () => {
    for (let n = 0; n < good.length; n++) {
      expect(() => lz4Decompress(good.subarray(0, n))).toThrow(/lz4:/);
    }
  });

  it('match offset reaching before the block', () => {
    // One sequence: no literals, offset 1, then the mandatory final literals.
    const block = Uint8Array.of(0x00, 0x01, 0x00, 0x50, 1, 2, 3, 4, 5);
    const frame = Buffer.concat([
      Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]),
      Buffer.from([block.length, 0, 0, 0]),
      block,
      Buffer.alloc(4),
    ]);
    expect(() => lz4Decompress(frame)).toThrow(/offset/);
  });

  it('a block larger than the frame maximum', () => {
    const frame = Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]), Buffer.from([0x01, 0x00, 0x01, 0x80])]);
    expect(() => lz4Decompress(frame)).toThrow(/exceeds/);
  });
});

describe('cross-check with python lz4 (C liblz4)', () => {
  const inputs: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['1 byte', Buffer.from('x')],
    ['13 bytes', Buffer.from('abcdabcdabcda')],
    ['repetitive 1 MB', repeatToLength('The quick brown fox jumps over the lazy dog. ', 1024 * 1024)],
    ['random 200 KB', pseudoRandomBytes(200 * 1024, 99)],
    ['json-like 400 KB', jsonLikeText(400 * 1024)],
  ];

  it('liblz4 decodes our frames, with blocks from lz4_flex (WebAssembly) and from our own compressor', () => {
    const frames = inputs.flatMap(([, input]) => [lz4Compress(input), lz4Compress(input, null)]);
    const decoded = pythonMap('lz4.frame.decompress(chunk)', frames);
    inputs.forEach(([name, input], i) => {
      expect(decoded[2 * i]?.equals(input), `${name}, WebAssembly blocks`).toBe(true);
      expect(decoded[2 * i + 1]?.equals(input), `${name}, our blocks`).toBe(true);
    });
  });

  it('we decode liblz4 frames with every header option', () => {
    const variants = [
      '',
      'store_size=False',
      'block_checksum=True',
      'content_checksum=True',
      'block_linked=False',
      'block_linked=True',
      'compression_level=9',
      'block_size=lz4.frame.BLOCKSIZE_MAX4MB',
      'block_size=lz4.frame.BLOCKSIZE_MAX256KB, block_linked=True, block_checksum=True, content_checksum=True',
    ];
    for (const options of variants) {
      const frames = pythonMap(`lz4.frame.compress(chunk${options ? ', ' + options : ''})`, inputs.map(([, input]) => input));
      inputs.forEach(([name, input], i) => {
        expect(lz4Decompress(frames[i]!).equals(input), `${name} with ${options || 'defaults'}`).toBe(true);
      });
    }
  });

  it('we decode concatenated and skippable frames', () => {
    const a = jsonLikeText(70_000);
    const b = repeatToLength('0123456789', 90_000);
    const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    const [linked] = pythonMap('lz4.frame.compress(chunk, block_linked=True)', [a]);
    const stream = Buffer.concat([linked!, skippable, lz4Compress(b)]);
    expect(lz4Decompress(stream).equals(Buffer.concat([a, b]))).toBe(true);
  });
});
