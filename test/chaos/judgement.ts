// What a chaos phase must show (test/chaos/phase.ts runs it): its figures,
// and the invariants they must keep, as lines naming each broken one. Pure,
// so the judgement has a unit test (test/unit/chaos-judgement.test.ts)
// without the seven minutes of a chaos run.

import type { ReadBack } from '../support/read-back.js';

/** What the report prints of a phase, and what its checks look at. */
export interface Figures extends ReadBack {
  phase: string;
  seconds: number;
  /** CPU seconds of the process running the producer (its worker thread included; in phases run here, the proxies too). */
  cpuSeconds: number;
  injected: Record<string, number>;
  missed: Record<string, number>;
  sent: number;
  acknowledged: number;
  failed: number;
  /** Failures by error class: count and one message. */
  errors: Record<string, { count: number; message: string }>;
  settledTwice: number;
  /** Records with no outcome when the wait for them ended: a hang. */
  unsettled: number;
  retries: number;
  epochBumps: number;
  connectionsOpened: number;
}

/** The invariants every phase must keep; each broken one is a line. */
export function problems(f: Figures): string[] {
  const out: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok) out.push(`${f.phase}: ${what}`);
  };
  // A phase that acknowledged nothing proves nothing about lost or duplicated records.
  expect(f.acknowledged > 0, `acknowledged nothing (${f.failed} of ${f.sent} record(s) failed)`);
  // A fault that was planned and not injected was not tested.
  const missed = Object.entries(f.missed).filter(([, n]) => n > 0);
  expect(missed.length === 0, `planned fault(s) not injected: ${missed.map(([k, n]) => `${n} x ${k}`).join('; ')}`);
  expect(f.unsettled === 0, `${f.unsettled} record(s) never settled (a hang)`);
  expect(f.acknowledged + f.failed === f.sent, `acknowledged ${f.acknowledged} + failed ${f.failed} != sent ${f.sent}`);
  expect(f.settledTwice === 0, `${f.settledTwice} outcome(s) reported twice for a record`);
  expect(f.lost === 0, `${f.lost} acknowledged record(s) lost (not read back)`);
  expect(f.duplicated === 0, `${f.duplicated} record(s) read back more than once`);
  expect(f.outOfOrder === 0, `${f.outOfOrder} record(s) out of order in their partition`);
  expect(f.offsetMismatches === 0, `${f.offsetMismatches} acknowledged record(s) not at the partition and offset acknowledged`);
  expect(f.foreign === 0, `${f.foreign} message(s) read back that were never sent`);
  return out;
}
