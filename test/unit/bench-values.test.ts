// The compressed bench workloads' values: exactly the asked size, one per
// line for kcat and ProducerPerformance, and compressible like real JSON
// events (not repeated bytes, not noise).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { jsonValues } from '../../bench/json-values.js';
import { topicLogBytes } from '../../bench/wire-bytes.js';
import { lz4Compress } from '../../src/protocol/codecs/lz4.js';

describe('bench JSON values', () => {
  const values = jsonValues(256, 1024);

  it('are 1024 distinct bytes each, parse as JSON, with no tab or newline', () => {
    expect(new Set(values.map((v) => v.toString())).size).toBe(256);
    for (const v of values) {
      expect(v.length).toBe(1024);
      expect(v.includes(0x0a) || v.includes(0x09)).toBe(false);
      expect(() => JSON.parse(v.toString())).not.toThrow();
    }
  });

  it('compress 3-5x with gzip and 2-3.5x with lz4 in 16 KiB batches, as JSON events do', () => {
    const batch = Buffer.concat(values.slice(0, 16));
    const gzip = batch.length / gzipSync(batch).length;
    const lz4 = batch.length / lz4Compress(batch).length;
    expect(gzip).toBeGreaterThan(3);
    expect(gzip).toBeLessThan(5);
    expect(lz4).toBeGreaterThan(2);
    expect(lz4).toBeLessThan(3.5);
  });
});

describe('bench wire bytes', () => {
  it("sum the topic's .log files over its partitions, and say null where no directory holds it", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-wire-'));
    try {
      for (const p of [0, 1]) {
        mkdirSync(path.join(dir, `t-${p}`));
        writeFileSync(path.join(dir, `t-${p}`, '00000000000000000000.log'), Buffer.alloc(100 + p));
        writeFileSync(path.join(dir, `t-${p}`, '00000000000000000000.index'), Buffer.alloc(1000));
      }
      mkdirSync(path.join(dir, 'other-0'));
      writeFileSync(path.join(dir, 'other-0', '00000000000000000000.log'), Buffer.alloc(5000));
      expect(topicLogBytes([dir], 't', 2)).toBe(201);
      expect(topicLogBytes([dir], 'missing', 2)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
