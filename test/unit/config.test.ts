// Defaults that depend on other options: maxBatchSize is 1 MiB unless
// batchSize or maxRequestSize leave no room for it; and the sender's share
// of the options. (Refused options are in
// test/integration/bad-input.test.ts, with the rest of the bad input.)

import { describe, expect, it } from 'vitest';
import { resolveConfig, senderConfig } from '../../src/config.js';

const base = { bootstrapServers: '127.0.0.1:9092' };

describe('maxBatchSize', () => {
  it.each([
    ['defaults', {}, 1_048_576],
    ['a smaller maxRequestSize', { maxRequestSize: 500_000 }, 500_000],
    ['a batchSize above 1 MiB', { batchSize: 2_000_000, maxRequestSize: 4_000_000 }, 2_000_000],
    ['a batchSize above maxRequestSize (no room to grow)', { batchSize: 2_000_000 }, 2_000_000],
    ['set', { maxBatchSize: 65_536 }, 65_536],
    ['set to batchSize (never grow)', { batchSize: 8192, maxBatchSize: 8192 }, 8192],
  ])('with %s', (_what, options, expected) => {
    expect(resolveConfig({ ...base, ...options }).maxBatchSize).toBe(expected);
  });

  it('stays on the main thread: the sender is not told', () => {
    expect(senderConfig(resolveConfig(base))).not.toHaveProperty('maxBatchSize');
  });
});

describe('connectionsPerBroker', () => {
  it('is 2 unless set, and reaches the sender', () => {
    expect(senderConfig(resolveConfig(base)).connectionsPerBroker).toBe(2);
    expect(senderConfig(resolveConfig({ ...base, connectionsPerBroker: 1 })).connectionsPerBroker).toBe(1);
  });
});
