// What a producer said happened, record by record, against what a consumer
// we did not write (kcat, librdkafka) reads back. Records are numbered: the
// value starts with the record's index in decimal, and the records of one
// partition are sent in increasing index order. Then every acknowledged
// record must be read exactly once, in its partition at its offset, each
// partition's indices must increase, and every record sent must have
// settled exactly once, acknowledged or failed.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { RecordMetadata } from 'kafka-producer-ts';

/** A record's state below 0: no outcome yet, or failed with the error class FAILED - state (see Ledger.#classes). */
const UNSETTLED = -1;
const FAILED = -2;

/** Each record's outcome as the producer reported it, by index (grows as records are sent). */
export class Ledger {
  /** Acknowledged partition, UNSETTLED, or FAILED minus the error class's index in #classes. */
  #partition: Int32Array;
  readonly #classes: string[] = [];
  #offset: Float64Array;
  #sentAt: Float64Array;
  sent = 0;
  acknowledged = 0;
  failed = 0;
  /** Outcomes reported for a record that had one already. */
  settledTwice = 0;
  /** Failures by error class: how many, one message, and the least and most ms from send() to failure. */
  readonly errors = new Map<string, { count: number; message: string; minMs: number; maxMs: number }>();

  /**
   * Room for `capacity` records before it grows (20 bytes each), written
   * to once so that the memory is the process's from the start.
   */
  constructor(capacity = 1024) {
    this.#partition = new Int32Array(capacity).fill(UNSETTLED);
    this.#offset = new Float64Array(capacity).fill(-1);
    this.#sentAt = new Float64Array(capacity).fill(-1);
  }

  /** Numbers the next record and returns its callback. */
  record(): (err: Error | null, md?: RecordMetadata) => void {
    const i = this.sent++;
    if (i >= this.#partition.length) this.#grow();
    this.#sentAt[i] = performance.now();
    return (err, md) => this.settle(i, err, md);
  }

  get settled(): number {
    return this.acknowledged + this.failed;
  }

  settle(i: number, err: Error | null, md?: RecordMetadata): void {
    if (this.#partition[i] !== UNSETTLED) {
      this.settledTwice++;
      return;
    }
    if (err || !md) {
      const name = err?.constructor.name ?? 'no metadata';
      if (!this.#classes.includes(name)) this.#classes.push(name);
      this.#partition[i] = FAILED - this.#classes.indexOf(name);
      this.failed++;
      const ms = performance.now() - (this.#sentAt[i] as number);
      const e = this.errors.get(name) ?? { count: 0, message: err?.message ?? '', minMs: Infinity, maxMs: 0 };
      e.count++;
      e.minMs = Math.min(e.minMs, ms);
      e.maxMs = Math.max(e.maxMs, ms);
      this.errors.set(name, e);
      return;
    }
    this.#partition[i] = md.partition;
    this.#offset[i] = md.offset;
    this.acknowledged++;
  }

  /** The acknowledged partition of record i, or -1 if it failed or never settled. */
  partitionOf(i: number): number {
    return Math.max(-1, this.#partition[i] ?? UNSETTLED);
  }

  /** The error class record i failed with, or null. */
  failureOf(i: number): string | null {
    const state = this.#partition[i] ?? UNSETTLED;
    return state <= FAILED ? (this.#classes[FAILED - state] as string) : null;
  }

  offsetOf(i: number): number {
    return this.#offset[i] as number;
  }

  /** Failures by class, as "Class: count". */
  errorCounts(): Record<string, number> {
    return Object.fromEntries([...this.errors].map(([k, v]) => [k, v.count]));
  }

  #grow(): void {
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(a.length * 2);
      b.set(a);
      return b;
    };
    this.#partition = grow(this.#partition, (n) => new Int32Array(n).fill(UNSETTLED));
    this.#offset = grow(this.#offset, (n) => new Float64Array(n));
    this.#sentAt = grow(this.#sentAt, (n) => new Float64Array(n));
  }
}

export interface ReadBack {
  /** Messages kcat read. */
  readBack: number;
  /** Acknowledged records not read back. */
  lost: number;
  /** Reads of a record beyond its first. */
  duplicated: number;
  /** Messages whose index is not above the one before it in their partition. */
  outOfOrder: number;
  /** Acknowledged records read in another partition or at another offset than acknowledged. */
  offsetMismatches: number;
  /** Failed records that are in the log all the same (their outcome was unknown: a timeout, a close), by error class. */
  failedButWritten: Record<string, number>;
  /** Messages whose value is no record index of this ledger. */
  foreign: number;
}

/** Checks messages read back, in the order read, against the ledger. */
export class ReadBackCheck {
  readonly #ledger: Ledger;
  /** Reads of each record index (at most 255 counted). */
  readonly #seen: Uint8Array;
  readonly #lastInPartition = new Map<number, number>();
  readonly #r: ReadBack = { readBack: 0, lost: 0, duplicated: 0, outOfOrder: 0, offsetMismatches: 0, failedButWritten: {}, foreign: 0 };

  constructor(ledger: Ledger) {
    this.#ledger = ledger;
    this.#seen = new Uint8Array(ledger.sent);
  }

  message(partition: number, offset: number, value: string): void {
    const r = this.#r;
    const i = Number.parseInt(value, 10);
    r.readBack++;
    if (!Number.isInteger(i) || i < 0 || i >= this.#ledger.sent) {
      r.foreign++;
      return;
    }
    const seen = this.#seen[i] as number;
    if (seen > 0) r.duplicated++;
    this.#seen[i] = Math.min(255, seen + 1);
    const last = this.#lastInPartition.get(partition);
    if (last !== undefined && i <= last) r.outOfOrder++;
    this.#lastInPartition.set(partition, i);
    const acked = this.#ledger.partitionOf(i);
    const ackedOffset = this.#ledger.offsetOf(i);
    // A batch answered as a duplicate (DUPLICATE_SEQUENCE_NUMBER) is acknowledged without an offset (-1).
    if (acked >= 0 && (acked !== partition || (ackedOffset >= 0 && ackedOffset !== offset))) r.offsetMismatches++;
  }

  /** The figures, once every message was read. */
  result(): ReadBack {
    const r = { ...this.#r, failedButWritten: {} as Record<string, number> };
    for (let i = 0; i < this.#ledger.sent; i++) {
      if (this.#seen[i] === 0 && this.#ledger.partitionOf(i) >= 0) r.lost++;
      const failure = (this.#seen[i] as number) > 0 ? this.#ledger.failureOf(i) : null;
      if (failure !== null) r.failedButWritten[failure] = (r.failedButWritten[failure] ?? 0) + 1;
    }
    return r;
  }
}

/**
 * Reads the topic from the beginning with kcat (`-f '%p %o %s'`, streamed:
 * a million records need no big buffer) on `bootstrap`, and checks it
 * against the ledger.
 */
export async function readBack(bootstrap: string, topic: string, ledger: Ledger): Promise<ReadBack> {
  const args = ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %o %s\\n', '-X', 'fetch.message.max.bytes=4194304'];
  const kcat = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  kcat.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    kcat.on('error', reject);
    kcat.on('close', resolve);
  });
  const check = new ReadBackCheck(ledger);
  for await (const line of createInterface({ input: kcat.stdout, crlfDelay: Infinity })) {
    if (line === '') continue;
    const [p, o, value] = line.split(' ', 3);
    check.message(Number(p), Number(o), value ?? '');
  }
  const code = await exited;
  if (code !== 0) throw new Error(`kcat ${args.join(' ')} exited with ${code}: ${stderr.trim()}`);
  return check.result();
}
