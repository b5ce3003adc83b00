// The seeded workload: what a user does with the producer. Bursts of keyed,
// keyless and partition-pinned sends over the topics in one tick, flushes,
// and for a transactional producer transactions with
// sendOffsetsToTransaction, commit or abort, awaited or not, and the
// overlapping calls users make (a send while a commit runs, offsets not
// awaited before the commit, a timed-out commit called again as Java
// allows). Every call and every record's outcome is recorded for the oracle.

import type { KafkaProducer } from '../../src/producer.js';
import type { SendResult } from '../../src/send-result.js';
import { KafkaTimeoutError, ProducerFatalError } from '../../src/errors.js';
import { between, pick, TOPICS, type Plan, type Rng, type SimOptions } from './schedule.js';

export interface SentRecord {
  value: string;
  topic: string;
  key: string | null;
  /** The transaction it was sent in (-1: none). */
  txn: number;
  calledAt: number;
  settles: number;
  settledAt: number;
  err: Error | null;
  result: SendResult;
  /** Sent while a commitTransaction() of its producer had not settled. */
  duringCommit: boolean;
  /** send() refused it: the record failed before send() returned. */
  refused: boolean;
}

export interface Call {
  name: string;
  txn: number;
  calledAt: number;
  settledAt: number | null;
  /** The most virtual time it may take (its documented bound). */
  boundMs: number;
  err: Error | null;
}

export interface TxnRecord {
  idx: number;
  /** committed: commitTransaction() resolved; aborted: abortTransaction() resolved. */
  outcome: 'committed' | 'aborted' | 'unknown';
  /** Offsets sent with it (offset = idx * 10 + 1), and whether each call resolved. */
  offsets: { settled: boolean; ok: boolean }[];
}

export interface Recorder {
  records: SentRecord[];
  calls: Call[];
  txns: TxnRecord[];
  log(line: string): void;
  now(): number;
}

export const GROUP = 'g';
export const INPUT_TOPIC = 'in';

interface Bounds {
  send: number;
  flush: number;
  step: number;
  commit: number;
  abort: number;
  close: number;
}

export function boundsOf(plan: Plan): Bounds {
  const o = plan.options as Required<Pick<typeof plan.options, 'maxBlockMs' | 'deliveryTimeoutMs' | 'requestTimeoutMs'>>;
  const slack = 100;
  const step = 2 * (o.maxBlockMs + o.requestTimeoutMs) + slack;
  const flush = o.maxBlockMs + o.deliveryTimeoutMs + slack;
  return {
    send: flush,
    flush,
    step,
    commit: flush + step,
    abort: o.deliveryTimeoutMs + 2 * step,
    close: 2 * (o.deliveryTimeoutMs + step) + 5000 + slack,
  };
}

export class Workload {
  readonly #p: KafkaProducer<string, string>;
  readonly #rng: Rng;
  readonly #plan: Plan;
  readonly #opts: SimOptions;
  readonly #rec: Recorder;
  readonly #bounds: Bounds;
  #next = 0;
  fatal = false;
  /** close() was given no timeout: it must end an open transaction. */
  closedWithoutTimeout = false;

  constructor(p: KafkaProducer<string, string>, rng: Rng, plan: Plan, opts: SimOptions, rec: Recorder) {
    this.#p = p;
    this.#rng = rng;
    this.#plan = plan;
    this.#opts = opts;
    this.#rec = rec;
    this.#bounds = boundsOf(plan);
    p.on('fatalError', () => {
      this.fatal = true;
    });
  }

  async run(): Promise<void> {
    if (this.#plan.profile === 'txn') await this.#transactional();
    else await this.#plain();
    const rng = this.#rng;
    const timeoutMs = rng() < 0.2 ? between(rng, 0, 2000) : undefined;
    this.closedWithoutTimeout = timeoutMs === undefined;
    await this.#call('close', -1, this.#bounds.close + (timeoutMs ?? 0), () => this.#p.close(timeoutMs === undefined ? {} : { timeoutMs }));
  }

  async #plain(): Promise<void> {
    const rng = this.#rng;
    const steps = between(rng, 2, 8);
    for (let i = 0; i < steps; i++) {
      this.#burst(-1);
      const r = rng();
      if (r < 0.2) await this.#call('flush', -1, this.#bounds.flush, () => this.#p.flush());
      else if (r < 0.3) void this.#call('flush', -1, this.#bounds.flush, () => this.#p.flush());
      await this.#pause();
    }
  }

  /** Mostly short; sometimes past deliveryTimeoutMs, so that what expired meanwhile has made room for new batches. */
  #pause(): Promise<void> {
    const rng = this.#rng;
    const delivery = (this.#plan.options as { deliveryTimeoutMs: number }).deliveryTimeoutMs;
    return this.#sleep(rng() < 0.15 ? between(rng, delivery >> 1, 2 * delivery) : between(rng, 0, 50));
  }

  async #transactional(): Promise<void> {
    const rng = this.#rng;
    const p = this.#p;
    let initialized = false;
    for (let attempt = 0; attempt < 3 && !initialized && !this.fatal; attempt++) {
      initialized = await this.#call('initTransactions', -1, this.#bounds.step, () => p.initTransactions());
    }
    if (!initialized) return;
    const count = between(rng, 1, 5);
    for (let idx = 0; idx < count && !this.fatal; idx++) {
      try {
        p.beginTransaction();
      } catch (err) {
        this.#rec.log(`beginTransaction() refused: ${(err as Error).message}`);
        if (!(await this.#abort(idx))) return;
        continue;
      }
      const txn: TxnRecord = { idx, outcome: 'unknown', offsets: [] };
      this.#rec.txns.push(txn);
      const bursts = between(rng, 1, 3);
      for (let b = 0; b < bursts; b++) {
        this.#burst(idx);
        await this.#sleep(between(rng, 0, 30));
      }
      const offsets = this.#opts.features.has('offsets') && rng() < 0.6;
      const overlap = this.#opts.features.has('overlap');
      let pendingOffsets: Promise<boolean> | null = null;
      if (offsets) {
        const entry = { settled: false, ok: false };
        txn.offsets.push(entry);
        const o = [0, 1].map((partition) => ({ topic: INPUT_TOPIC, partition, offset: idx * 10 + 1 }));
        pendingOffsets = this.#call('sendOffsetsToTransaction', idx, this.#bounds.step, () => p.sendOffsetsToTransaction(o, { groupId: GROUP })).then((ok) => {
          entry.settled = true;
          entry.ok = ok;
          return ok;
        });
        // Awaited, as most users do; or not, overlapping the commit.
        if (!(overlap && rng() < 0.5)) await pendingOffsets;
        else if (rng() < 0.5) {
          // The offsets call settles while the commit may still run: the user's code goes on sending.
          void pendingOffsets.then(() => {
            const commit = this.#rec.calls.find((c) => c.txn === idx && c.name === 'commitTransaction');
            if (commit && commit.settledAt === null) this.#send(idx, true);
          });
        }
      }
      if (rng() < 0.8) await this.#commit(txn, overlap);
      else if (await this.#abort(idx)) txn.outcome = 'aborted';
      if (pendingOffsets) await pendingOffsets;
    }
  }

  /** Commits; on a timeout calls it again (Java lets a timed-out commit be retried); an abortable failure aborts. */
  async #commit(txn: TxnRecord, overlap: boolean): Promise<void> {
    const rng = this.#rng;
    for (let attempt = 0; attempt < 2; attempt++) {
      const committed = this.#record(attempt === 0 ? 'commitTransaction' : 'commitTransaction (again, after a timeout)', txn.idx, this.#bounds.commit, () => this.#p.commitTransaction());
      const call = this.#rec.calls.at(-1) as Call;
      if (overlap && rng() < 0.4) {
        await this.#sleep(between(rng, 0, 3));
        // A user's send while the commit runs: Java refuses it (and only it).
        const during = call.settledAt === null;
        this.#send(during ? txn.idx : -1, during);
      }
      const { err } = await committed;
      if (err === null) {
        txn.outcome = 'committed';
        return;
      }
      if (this.fatal || err instanceof ProducerFatalError) return;
      if (!(err instanceof KafkaTimeoutError) || attempt > 0) break;
    }
    if (await this.#abort(txn.idx)) txn.outcome = 'aborted';
  }

  async #abort(idx: number): Promise<boolean> {
    for (let attempt = 0; attempt < 2 && !this.fatal; attempt++) {
      if (await this.#call('abortTransaction', idx, this.#bounds.abort, () => this.#p.abortTransaction())) return true;
    }
    return false;
  }

  /** Sends 1..6 records in one tick. */
  #burst(txn: number): void {
    const n = between(this.#rng, 1, 6);
    for (let i = 0; i < n; i++) this.#send(txn, false);
  }

  #send(txn: number, duringCommit: boolean): void {
    const rng = this.#rng;
    const t = pick(rng, TOPICS);
    const r = rng();
    const key = r < 0.5 ? `k${between(rng, 0, 7)}` : null;
    const partition = r > 0.8 ? between(rng, 0, t.partitions - 1) : undefined;
    const id = this.#next++;
    const value = `${String(id).padStart(5, '0')}.${String(Math.max(0, txn)).padStart(3, '0')}`;
    const rec = { value, topic: t.name, key, txn, calledAt: this.#rec.now(), settles: 0, settledAt: -1, err: null as Error | null, result: null as unknown as SendResult, duringCommit, refused: false };
    this.#rec.records.push(rec);
    rec.result = this.#p.send({ topic: t.name, key, value, ...(partition === undefined ? {} : { partition }) }, (err) => {
      rec.settles++;
      rec.settledAt = this.#rec.now();
      rec.err = err;
    });
    rec.refused = rec.result.settled;
  }

  /** Runs a call, records when and how it settled; true when it resolved. */
  async #call(name: string, txn: number, boundMs: number, fn: () => Promise<unknown>): Promise<boolean> {
    return (await this.#record(name, txn, boundMs, fn)).err === null;
  }

  async #record(name: string, txn: number, boundMs: number, fn: () => Promise<unknown>): Promise<Call> {
    const call: Call = { name, txn, calledAt: this.#rec.now(), settledAt: null, boundMs, err: null };
    this.#rec.calls.push(call);
    this.#rec.log(`${name}()${txn >= 0 ? ` [txn ${txn}]` : ''}`);
    try {
      await fn();
      call.settledAt = this.#rec.now();
      this.#rec.log(`${name}() resolved`);
    } catch (err) {
      call.settledAt = this.#rec.now();
      call.err = err as Error;
      this.#rec.log(`${name}() rejected: ${(err as Error).name}: ${(err as Error).message.slice(0, 160)}`);
      if (err instanceof ProducerFatalError) this.fatal = true;
    }
    return call;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }
}
