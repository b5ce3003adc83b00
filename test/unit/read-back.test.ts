// The read-back check of the fault tests and the chaos run
// (test/support/read-back.ts) against made-up outcomes and reads: each kind
// of damage is counted, and a clean read counts none.

import { describe, expect, it } from 'vitest';
import { Ledger, ReadBackCheck } from '../support/read-back.js';

const md = (partition: number, offset: number) => ({ topic: 't', partition, offset, timestamp: 0 });

/** Records 0-5: even ones to partition 0, odd ones to partition 1, acknowledged in order; record 6 failed. */
function ledger(): Ledger {
  const l = new Ledger(2);
  for (let i = 0; i < 6; i++) l.record()(null, md(i % 2, Math.floor(i / 2)));
  l.record()(new Error('expired'));
  return l;
}

/** Reads "partition offset value" lines. */
function check(l: Ledger, lines: string[]) {
  const c = new ReadBackCheck(l);
  for (const line of lines) {
    const [p, o, v] = line.split(' ');
    c.message(Number(p), Number(o), v as string);
  }
  return c.result();
}

const clean = ['0 0 0', '0 1 2', '0 2 4', '1 0 1', '1 1 3', '1 2 5'];

describe('Ledger', () => {
  it('numbers records, grows past its capacity, counts outcomes and failures by class, and a second outcome', () => {
    const l = ledger();
    expect({ sent: l.sent, acknowledged: l.acknowledged, failed: l.failed, settled: l.settled }).toEqual({ sent: 7, acknowledged: 6, failed: 1, settled: 7 });
    expect(l.errorCounts()).toEqual({ Error: 1 });
    expect([l.partitionOf(3), l.offsetOf(3), l.partitionOf(6), l.failureOf(6), l.failureOf(3)]).toEqual([1, 1, -1, 'Error', null]);
    l.settle(3, null, md(1, 1));
    expect(l.settledTwice).toBe(1);
    const unsettled = new Ledger();
    unsettled.record();
    expect([unsettled.settled, unsettled.partitionOf(0), unsettled.failureOf(0)]).toEqual([0, -1, null]);
  });
});

describe('ReadBackCheck', () => {
  it('a clean read: nothing lost, duplicated, out of order or misplaced', () => {
    expect(check(ledger(), clean)).toEqual({ readBack: 6, lost: 0, duplicated: 0, outOfOrder: 0, offsetMismatches: 0, failedButWritten: {}, foreign: 0 });
  });

  it('counts each kind of damage', () => {
    // 2 lost; 3 read twice (the second time out of order and at the wrong offset); 4 and 0 swapped;
    // the failed record 6 written all the same; a value never sent; record 5 in the wrong partition.
    const lines = ['0 0 4', '0 1 0', '1 0 1', '1 1 3', '1 2 3', '1 3 6', '1 4 x', '0 3 5'];
    expect(check(ledger(), lines)).toEqual({ readBack: 8, lost: 1, duplicated: 1, outOfOrder: 2, offsetMismatches: 4, failedButWritten: { Error: 1 }, foreign: 1 });
  });

  it('an acknowledgement without an offset (a duplicate the broker already had) matches any offset', () => {
    const l = new Ledger();
    l.record()(null, md(0, -1));
    expect(check(l, ['0 7 0'])).toMatchObject({ offsetMismatches: 0, lost: 0 });
  });
});
