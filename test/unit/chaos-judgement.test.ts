// The chaos phases' judgement (test/chaos/judgement.ts) without a chaos run:
// a phase that kept every invariant passes; one that acknowledged nothing,
// or did not inject a fault it planned, fails with a line saying so.

import { describe, expect, it } from 'vitest';
import { problems, type Figures } from '../chaos/judgement.js';

const good: Figures = {
  phase: 'brokers',
  seconds: 60,
  cpuSeconds: 20,
  injected: { 'kill leader': 2, 'restart broker': 2 },
  missed: {},
  sent: 1000,
  acknowledged: 990,
  failed: 10,
  errors: { KafkaTimeoutError: { count: 10, message: 'expired' } },
  settledTwice: 0,
  unsettled: 0,
  retries: 40,
  epochBumps: 1,
  connectionsOpened: 12,
  readBack: 990,
  lost: 0,
  duplicated: 0,
  outOfOrder: 0,
  offsetMismatches: 0,
  failedButWritten: {},
  foreign: 0,
};

describe('a chaos phase', () => {
  it('that kept every invariant passes', () => {
    expect(problems(good)).toEqual([]);
  });

  it('fails when every record failed: nothing acknowledged proves nothing', () => {
    expect(problems({ ...good, acknowledged: 0, failed: 1000, readBack: 0 })).toEqual(['brokers: acknowledged nothing (1000 of 1000 record(s) failed)']);
  });

  it('fails when a fault it planned was not injected', () => {
    expect(problems({ ...good, missed: { 'kill leader': 1, 'partition network': 2 } })).toEqual(['brokers: planned fault(s) not injected: 1 x kill leader; 2 x partition network']);
  });

  it.each([
    ['a hang', { unsettled: 3 }, /3 record\(s\) never settled/],
    ['outcomes that do not add up', { failed: 9 }, /acknowledged 990 \+ failed 9 != sent 1000/],
    ['an outcome reported twice', { settledTwice: 1 }, /reported twice/],
    ['a lost record', { lost: 1 }, /1 acknowledged record\(s\) lost/],
    ['a duplicate', { duplicated: 2 }, /2 record\(s\) read back more than once/],
    ['reordering', { outOfOrder: 1 }, /out of order/],
    ['a wrong offset', { offsetMismatches: 1 }, /not at the partition and offset acknowledged/],
    ['a foreign message', { foreign: 1 }, /never sent/],
  ])('fails on %s', (_what, change, line) => {
    const found = problems({ ...good, ...change });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(line);
  });
});
