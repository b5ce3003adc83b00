// The options' rules without a broker: defaults, defaults that depend on
// other options (maxBatchSize is 1 MiB unless batchSize or maxRequestSize
// leave no room for it; idempotence gives way to conflicting explicit
// choices), the refused values and conflicts, each a ConfigError naming the
// option; and the sender's share of the options.

import { describe, expect, it } from 'vitest';
import { MAX_CONNECTIONS_PER_BROKER, resolveConfig, senderConfig, type ProducerOptions } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

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

/** The ConfigError `options` get: which option it names, and its message. */
function refusal(options: Record<string, unknown>): { option: string; message: string } {
  try {
    resolveConfig({ ...base, ...options } as ProducerOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return { option: (err as ConfigError).option, message: (err as Error).message };
  }
  throw new Error(`${JSON.stringify(options)} was accepted`);
}

describe('defaults (the Java client 4.x)', () => {
  it('are those of the Java client, idempotent with acks all', () => {
    expect(resolveConfig(base)).toMatchObject({
      bootstrapServers: ['127.0.0.1:9092'],
      clientId: 'kafka-producer-ts',
      acks: -1,
      enableIdempotence: true,
      lingerMs: 5,
      batchSize: 16_384,
      bufferMemory: 33_554_432,
      maxBlockMs: 60_000,
      maxRequestSize: 1_048_576,
      maxInFlightRequestsPerConnection: 5,
      retries: 2147483647,
      retryBackoffMs: 100,
      retryBackoffMaxMs: 1000,
      requestTimeoutMs: 30_000,
      deliveryTimeoutMs: 120_000,
      compressionType: 'none',
      partitioner: 'default',
      metadataMaxAgeMs: 300_000,
      connectTimeoutMs: 10_000,
      worker: true,
      logger: null,
      keySerializer: null,
      valueSerializer: null,
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      ssl: null,
      sasl: null,
    });
  });

  it("acks 'all' is -1; 0 and 1 are kept", () => {
    expect(resolveConfig({ ...base, acks: 'all' }).acks).toBe(-1);
    expect(resolveConfig({ ...base, acks: -1 }).acks).toBe(-1);
    expect(resolveConfig({ ...base, acks: 1 }).acks).toBe(1);
    expect(resolveConfig({ ...base, acks: 0 }).acks).toBe(0);
  });

  it('bootstrapServers: a list or a comma-separated string; IPv6 hosts in brackets', () => {
    expect(resolveConfig({ bootstrapServers: ['a:1', 'b:2'] }).bootstrapServers).toEqual(['a:1', 'b:2']);
    expect(resolveConfig({ bootstrapServers: 'a:1,b:2' }).bootstrapServers).toEqual(['a:1', 'b:2']);
    expect(resolveConfig({ bootstrapServers: '[::1]:9092' }).bootstrapServers).toEqual(['[::1]:9092']);
  });

  it('deliveryTimeoutMs is 120 s, or lingerMs + requestTimeoutMs when that is more', () => {
    expect(resolveConfig({ ...base, lingerMs: 1000, requestTimeoutMs: 200_000 }).deliveryTimeoutMs).toBe(201_000);
    expect(resolveConfig({ ...base, lingerMs: 0, requestTimeoutMs: 120_000 }).deliveryTimeoutMs).toBe(120_000);
  });

  it('retryBackoffMaxMs is never below retryBackoffMs', () => {
    expect(resolveConfig({ ...base, retryBackoffMs: 5000 }).retryBackoffMaxMs).toBe(5000);
    expect(resolveConfig({ ...base, retryBackoffMs: 10, retryBackoffMaxMs: 50 }).retryBackoffMaxMs).toBe(50);
  });

  it('ssl true stays true; ssl and sasl objects are copied', () => {
    const ssl = { rejectUnauthorized: false };
    const sasl = { mechanism: 'plain', username: 'u', password: 'p' } as const;
    const c = resolveConfig({ ...base, ssl, sasl });
    expect(c.ssl).toEqual(ssl);
    expect(c.ssl).not.toBe(ssl);
    expect(c.sasl).toEqual(sasl);
    expect(c.sasl).not.toBe(sasl);
    expect(resolveConfig({ ...base, ssl: true }).ssl).toBe(true);
    expect(resolveConfig({ ...base, ssl: false }).ssl).toBeNull();
  });
});

describe('idempotence and the choices that conflict with it', () => {
  it.each([
    ['acks 1', { acks: 1 }, /acks=1 \(needs 'all'\)/],
    ['acks 0', { acks: 0 }, /acks=0 \(needs 'all'\)/],
    ['retries 0', { retries: 0 }, /retries=0 \(needs retries\)/],
  ])('an explicit enableIdempotence: true is refused with %s', (_what, options, reason) => {
    const r = refusal({ enableIdempotence: true, ...options });
    expect(r.option).toBe('enableIdempotence');
    expect(r.message).toMatch(reason);
    expect(r.message).toMatch(/set enableIdempotence: false/);
  });

  it.each([
    ['acks 1', { acks: 1 }],
    ['acks 0', { acks: 0 }],
    ['retries 0', { retries: 0 }],
  ])('left at its default, idempotence gives way to %s', (_what, options) => {
    expect(resolveConfig({ ...base, ...options } as ProducerOptions).enableIdempotence).toBe(false);
  });

  it('acks all, retries and up to 5 in flight keep it', () => {
    expect(resolveConfig({ ...base, acks: 'all', retries: 1, maxInFlightRequestsPerConnection: 5 }).enableIdempotence).toBe(true);
    expect(resolveConfig({ ...base, enableIdempotence: true, acks: -1 }).enableIdempotence).toBe(true);
    expect(resolveConfig({ ...base, enableIdempotence: false }).enableIdempotence).toBe(false);
  });

  it('more than 5 in flight is refused unless idempotence is turned off explicitly', () => {
    const r = refusal({ maxInFlightRequestsPerConnection: 6 });
    expect(r.option).toBe('maxInFlightRequestsPerConnection');
    expect(r.message).toMatch(/6 is more than 5/);
    const explicit = refusal({ maxInFlightRequestsPerConnection: 6, enableIdempotence: true });
    expect(explicit.option).toBe('enableIdempotence');
    expect(explicit.message).toMatch(/true conflicts with maxInFlightRequestsPerConnection=6 \(needs 5 or fewer\)/);
    const c = resolveConfig({ ...base, maxInFlightRequestsPerConnection: 6, enableIdempotence: false });
    expect(c.maxInFlightRequestsPerConnection).toBe(6);
    expect(c.enableIdempotence).toBe(false);
  });

  it('a transactional producer is idempotent: enableIdempotence false or a conflicting choice is refused', () => {
    const off = refusal({ transactionalId: 'tx', enableIdempotence: false });
    expect(off.option).toBe('enableIdempotence');
    expect(off.message).toMatch(/false conflicts with transactionalId: a transactional producer is idempotent/);
    const r = refusal({ transactionalId: 'tx', acks: 1 });
    expect(r.option).toBe('transactionalId');
    expect(r.message).toMatch(/makes the producer idempotent, which conflicts with acks=1/);
    expect(refusal({ transactionalId: 'tx', retries: 0 }).option).toBe('transactionalId');
    expect(refusal({ transactionalId: 'tx', acks: 0, retries: 0 }).message).toMatch(/conflicts with acks=0 \(needs 'all'\), retries=0 \(needs retries\); change those/);
    const c = resolveConfig({ ...base, transactionalId: 'tx' });
    expect(c.transactionalId).toBe('tx');
    expect(c.enableIdempotence).toBe(true);
  });

  it('names every conflict at once', () => {
    expect(refusal({ enableIdempotence: true, acks: 1, retries: 0 }).message).toMatch(/acks=1 \(needs 'all'\), retries=0/);
  });
});

describe('bounds between options', () => {
  it('deliveryTimeoutMs must cover lingerMs + requestTimeoutMs', () => {
    const r = refusal({ lingerMs: 100, requestTimeoutMs: 1000, deliveryTimeoutMs: 1099 });
    expect(r.option).toBe('deliveryTimeoutMs');
    expect(r.message).toMatch(/at least lingerMs \+ requestTimeoutMs \(1100\), got 1099/);
    expect(resolveConfig({ ...base, lingerMs: 100, requestTimeoutMs: 1000, deliveryTimeoutMs: 1100 }).deliveryTimeoutMs).toBe(1100);
    // lingerMs counts: requestTimeoutMs alone fits.
    expect(refusal({ lingerMs: 500, requestTimeoutMs: 1000, deliveryTimeoutMs: 1200 }).option).toBe('deliveryTimeoutMs');
  });

  it('bufferMemory must hold one batch', () => {
    const r = refusal({ batchSize: 4096, bufferMemory: 4095 });
    expect(r.option).toBe('bufferMemory');
    expect(r.message).toMatch(/at least batchSize \(4096\), got 4095/);
    expect(resolveConfig({ ...base, batchSize: 4096, bufferMemory: 4096 }).bufferMemory).toBe(4096);
  });

  it('maxBatchSize lies between batchSize and maxRequestSize', () => {
    expect(refusal({ batchSize: 8192, maxBatchSize: 8191 }).message).toMatch(/maxBatchSize: must be at least batchSize \(8192\), got 8191/);
    const over = refusal({ maxRequestSize: 100_000, maxBatchSize: 100_001 });
    expect(over.option).toBe('maxBatchSize');
    expect(over.message).toMatch(/at most maxRequestSize \(100000\), got 100001/);
    expect(resolveConfig({ ...base, maxRequestSize: 100_000, maxBatchSize: 100_000 }).maxBatchSize).toBe(100_000);
  });
});

describe('refused values', () => {
  it.each([
    ['lingerMs', -1, /between 0 and 2147483647, got -1/],
    ['lingerMs', 1.5, /must be an integer, got 1.5/],
    ['lingerMs', '5', /must be an integer, got "5"/],
    ['batchSize', 0, /between 1 and/],
    ['bufferMemory', 1023, /between 1024 and/],
    ['maxBlockMs', -1, /between 0 and/],
    ['maxRequestSize', 0, /between 1 and/],
    ['maxInFlightRequestsPerConnection', 0, /between 1 and/],
    ['connectionsPerBroker', 0, /between 1 and 16/],
    ['connectionsPerBroker', MAX_CONNECTIONS_PER_BROKER + 1, /between 1 and 16, got 17/],
    ['retries', -1, /between 0 and/],
    ['retries', 2147483648, /between 0 and 2147483647, got 2147483648/],
    ['retryBackoffMs', -1, /between 0 and/],
    ['retryBackoffMaxMs', -1, /between 0 and/],
    ['requestTimeoutMs', 0, /between 1 and/],
    ['deliveryTimeoutMs', 0, /between 1 and/],
    ['metadataMaxAgeMs', -1, /between 0 and/],
    ['connectTimeoutMs', 0, /between 1 and/],
    ['maxResponseSize', 1023, /between 1024 and/],
    ['transactionTimeoutMs', 0, /between 1 and/],
    ['acks', 2, /must be 'all', -1, 0 or 1, got 2/],
    ['acks', '1', /got "1"/],
    ['enableIdempotence', 'yes', /must be true or false, got "yes"/],
    ['worker', 1, /must be true or false, got 1/],
    ['clientId', 5, /must be a string, got 5/],
    ['compressionType', 'brotli', /must be one of none, gzip, snappy, lz4, zstd, got "brotli"/],
    ['partitioner', 'sticky', /must be 'default', 'round-robin' or a function/],
    ['keySerializer', 'json', /must be a function, got "json"/],
    ['valueSerializer', {}, /must be a function, got an object/],
    ['transactionalId', '', /must be a non-empty string, got ""/],
    ['transactionalId', null, /must be a non-empty string, got null/],
    ['bootstrapServers', 9092, /must be "host:port,host:port" or a list of "host:port", got 9092/],
    ['bootstrapServers', [1], /got an array/],
    ['bootstrapServers', ['a:1', 5], /must be "host:port,host:port" or a list of "host:port", got an array/],
    ['clientId', () => 'me', /must be a string, got a function/],
    ['bootstrapServers', 'localhost', /bootstrapServers/],
    ['nosuchOption', 1, /is not a producer option \(known options: bootstrapServers, clientId, acks/],
  ])('%s = %j', (option, value, message) => {
    const r = refusal({ [option]: value });
    expect(r.option).toBe(option);
    expect(r.message).toMatch(message);
  });

  it('takes the edge values and every kind each option allows', () => {
    const taken: [string, unknown][] = [
      ['lingerMs', 0],
      ['batchSize', 1],
      ['bufferMemory', 1024],
      ['connectionsPerBroker', 16],
      ['retries', 2147483647],
      ['maxResponseSize', 1024],
      ['partitioner', 'default'],
      ['partitioner', 'round-robin'],
      ['partitioner', () => 0],
      ['compressionType', 'zstd'],
      ['clientId', 'me'],
      ['keySerializer', (v: unknown) => String(v)],
      ['valueSerializer', (v: unknown) => String(v)],
      ['worker', false],
    ];
    for (const [option, value] of taken) {
      const c = resolveConfig({ ...base, batchSize: 1, [option]: value } as ProducerOptions);
      expect(c[option as keyof typeof c], option).toBe(value);
    }
  });

  it('undefined means the default', () => {
    expect(resolveConfig({ ...base, lingerMs: undefined }).lingerMs).toBe(5);
  });

  it('no options object, or no bootstrapServers, is refused with what to pass', () => {
    for (const options of [null, '127.0.0.1:9092', undefined]) {
      let err: unknown;
      try {
        resolveConfig(options as unknown as ProducerOptions);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).option).toBe('options');
      expect((err as Error).message).toMatch(/pass an options object with at least bootstrapServers/);
    }
    expect(() => resolveConfig({} as ProducerOptions)).toThrow(/bootstrapServers: is required/);
  });
});

describe('the sender\'s share', () => {
  it('leaves out what only the main thread uses and keeps the rest', () => {
    const s = senderConfig(resolveConfig({ ...base, lingerMs: 7, sasl: { mechanism: 'plain', username: 'u', password: 'p' } }));
    for (const k of ['partitioner', 'keySerializer', 'valueSerializer', 'worker', 'bufferMemory', 'maxBlockMs', 'logger']) expect(s).not.toHaveProperty(k);
    expect(s.lingerMs).toBe(7);
    expect(s.sasl).not.toBeNull();
  });
});
