// The oracle: after a schedule, what must hold whatever the faults were.
// Per partition no duplicate and no reorder of one producer's records, and
// no record in a partition it was not sent to; every acknowledged record in
// the log once; every record's outcome reported exactly once; read_committed
// holds exactly the committed transactions' records; a group's offsets
// committed if and only if their transaction committed; every call settled
// within its bound on the virtual clock; no uncaught exception; no
// transaction left open after close(); no fatal producer without a cause
// Java would end it for; the transactional API's contract (a refused send
// fails only itself, a send during a commit is refused, a timed-out commit
// may be called again).

import { KafkaTimeoutError, ProducerFatalError, TransactionAbortableError, TransactionStateError } from '../../src/errors.js';
import type { FakeCluster } from '../support/fake-cluster.js';
import { FATAL_ALLOWED } from './errors.js';
import type { Injected, Plan } from './schedule.js';
import type { Recorder } from './workload.js';

export interface Outcome {
  plan: Plan;
  cluster: FakeCluster;
  rec: Recorder;
  injected: Injected[];
  uncaught: unknown[];
  /** Coordinator state of the producer's transactional id when close() resolved. */
  openAfterClose: boolean | null;
  fatal: boolean;
  end: 'done' | 'idle' | 'horizon' | 'crashed';
}

export function check(o: Outcome): string[] {
  const v: string[] = [];
  const { plan, cluster, rec } = o;
  for (const e of o.uncaught) v.push(`uncaught exception: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack?.split('\n').slice(1, 4).join('\n')}` : String(e)}`);
  if (o.end === 'crashed') return v;

  // Calls and records settle, once, within their bounds.
  for (const c of rec.calls) {
    if (c.settledAt === null) v.push(`${c.name}() called at ${c.calledAt} never settled (bound ${c.boundMs} ms; the run ended at ${rec.now()}, ${o.end})`);
    else if (c.settledAt - c.calledAt > c.boundMs) v.push(`${c.name}() took ${c.settledAt - c.calledAt} ms, past its bound of ${c.boundMs} ms`);
  }
  const sendBound = boundOfSend(plan);
  for (const r of rec.records) {
    if (r.settles === 0) v.push(`record ${r.value} (${r.topic}) sent at ${r.calledAt} never settled`);
    else if (r.settles > 1) v.push(`record ${r.value} settled ${r.settles} times`);
    else if (r.settledAt - r.calledAt > sendBound) v.push(`record ${r.value} settled after ${r.settledAt - r.calledAt} ms, past ${sendBound} ms`);
  }

  // Logs: where each value is, and how often.
  const sent = new Map(rec.records.map((r) => [r.value, r]));
  const order = new Map(rec.records.map((r, i) => [r.value, i]));
  const where = new Map<string, string[]>();
  for (const [key, part] of cluster.partitions) {
    let last = -1;
    const seen = new Set<string>();
    for (const b of part.log) {
      for (const value of b.values) {
        const r = sent.get(value);
        if (!r) continue;
        where.set(value, [...(where.get(value) ?? []), key]);
        const intended = `${r.topic}-${r.result.partition}`;
        if (r.result.partition >= 0 && intended !== key) v.push(`record ${value} sent to ${intended} is in ${key}'s log`);
        if (plan.profile === 'acks0') continue;
        if (seen.has(value)) v.push(`record ${value} is twice in ${key}'s log`);
        seen.add(value);
        const i = order.get(value) as number;
        if (i < last) v.push(`${key}'s log has ${value} after a record sent later (order)`);
        last = Math.max(last, i);
      }
    }
  }
  for (const r of rec.records) {
    if (plan.profile === 'acks0' || r.settles !== 1 || r.err !== null) continue;
    if (!where.has(r.value)) v.push(`record ${r.value} was acknowledged (${r.topic}-${r.result.partition}) but is in no log`);
  }

  if (plan.profile === 'txn') checkTransactions(o, v);
  return v;
}

function boundOfSend(plan: Plan): number {
  const o = plan.options as { maxBlockMs: number; deliveryTimeoutMs: number };
  return o.maxBlockMs + o.deliveryTimeoutMs + 100;
}

function checkTransactions(o: Outcome, v: string[]): void {
  const { cluster, rec } = o;
  const visible = new Map<string, number>();
  for (const part of cluster.partitions.values()) for (const value of part.readCommitted()) visible.set(value, (visible.get(value) ?? 0) + 1);
  const byTxn = new Map<number, typeof rec.records>();
  for (const r of rec.records) byTxn.set(r.txn, [...(byTxn.get(r.txn) ?? []), r]);
  const applied = new Set(cluster.groups.history.map((h) => Math.floor(h.offset / 10)));

  for (const [value, n] of visible) if (n > 1) v.push(`read_committed shows ${value} ${n} times`);
  for (const t of rec.txns) {
    const records = byTxn.get(t.idx) ?? [];
    const seen = records.filter((r) => visible.has(r.value));
    const acked = records.filter((r) => r.err === null && r.settles === 1);
    if (t.outcome === 'aborted') {
      if (seen.length > 0) v.push(`txn ${t.idx} was aborted but read_committed shows ${seen.map((r) => r.value).join(', ')}`);
      if (applied.has(t.idx)) v.push(`txn ${t.idx} was aborted but the offsets sent in it were committed`);
      continue;
    }
    if (t.outcome === 'committed') {
      const missing = acked.filter((r) => !visible.has(r.value));
      if (missing.length > 0) v.push(`txn ${t.idx} committed but read_committed lacks its acknowledged records ${missing.map((r) => r.value).join(', ')}`);
      const failed = records.filter((r) => r.err !== null && !r.duringCommit);
      if (failed.length > 0) v.push(`txn ${t.idx} committed though its records ${failed.map((r) => `${r.value} (${r.err?.name})`).join(', ')} failed`);
      if (t.offsets.length > 0 && !applied.has(t.idx)) {
        const how = t.offsets.map((x) => (x.ok ? 'resolved' : x.settled ? 'rejected' : 'pending')).join(', ');
        v.push(`txn ${t.idx} committed but the offsets sent in it (sendOffsetsToTransaction() ${how}) are not committed: the input would be read again (duplicate output)`);
      }
      continue;
    }
    // Unknown outcome: all or nothing.
    if (seen.length > 0 && seen.length < acked.length) v.push(`txn ${t.idx} is partly visible: ${seen.length} of ${acked.length} acknowledged records`);
    if (applied.has(t.idx) && acked.length > 0 && seen.length === 0) v.push(`txn ${t.idx}'s offsets were committed without its records`);
  }

  // The transactional API's contract.
  for (const r of rec.records) {
    if (r.duringCommit && !r.refused) v.push(`send() of ${r.value} during commitTransaction() was accepted (outcome: ${r.settles === 0 ? 'none' : r.err ? r.err.name : 'written'}); Java refuses it (TransactionStateError)`);
  }
  for (const c of rec.calls) {
    if (!c.name.startsWith('commitTransaction') || !c.err) continue;
    // Java caches the pending result: a commit called again after a timeout completes it (or times out again).
    const refused = c.err instanceof TransactionStateError || (c.err instanceof TransactionAbortableError && chainHas(c.err.cause, KafkaTimeoutError));
    if (c.name.includes('again') && refused) v.push(`a timed-out commitTransaction() could not be called again: ${c.err.name}: ${c.err.message.slice(0, 200)}`);
    else if (chainHas(c.err.cause, TransactionStateError)) v.push(`commitTransaction() of txn ${c.txn} failed because a send refused during it counted against the transaction: ${c.err.message.slice(0, 200)}`);
  }
  if (o.openAfterClose && !o.fatal) v.push(`the transaction is still open on the coordinator after close() resolved`);
  if (o.fatal) {
    const justified = o.injected.some((i) => FATAL_ALLOWED[i.api]?.has(i.code)) || cluster.txn.timedOut > 0;
    if (!justified) {
      const fatalCall = rec.calls.find((c) => c.err instanceof ProducerFatalError);
      const codes = o.injected.map((i) => `${i.api}:${i.code}`).join(', ') || 'none';
      v.push(`the producer became fatal with no cause Java would end it for (codes injected: ${codes})${fatalCall ? `; ${fatalCall.name}(): ${fatalCall.err?.message.slice(0, 200)}` : ''}`);
    }
  }
}

function chainHas(err: unknown, cls: abstract new (...a: never[]) => Error): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as Error).cause, depth++) if (e instanceof cls) return true;
  return false;
}
