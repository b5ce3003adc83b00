// One send()'s outcome in kafkajs's shape: an entry per partition written
// (its lowest offset as baseOffset, offsets as strings), or [] for acks 0.
// One callback object serves every record of the call, so a record costs
// no closure; the call settles once all of its records have, failing with
// the first error.

import type { RecordMetadata as NativeMetadata, SendCallback } from '../send-result.js';
import { toKafkaJSError } from './errors.js';
import type { RecordMetadata } from './types.js';

interface PartitionResult {
  topicName: string;
  partition: number;
  baseOffset: number;
  appendTime: number;
}

export class SendCall {
  readonly promise: Promise<RecordMetadata[]>;
  /** Passed to every record's send(). */
  readonly callback: SendCallback;
  #resolve!: (r: RecordMetadata[]) => void;
  #reject!: (e: Error) => void;
  #pending = 1;
  #error: Error | null = null;
  readonly #topics = new Map<string, PartitionResult[]>();
  /** The partitions written, in the order their first record settled. */
  readonly #written: PartitionResult[] = [];
  readonly #acks: number;
  /** The create time the call gave its records, or -1 when some carried their own: a differing time is then the broker's LogAppendTime. */
  readonly #createTime: number;

  constructor(acks: number, createTime: number) {
    this.#acks = acks;
    this.#createTime = createTime;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.callback = (err, md) => this.#settled(err, md);
  }

  /** A record was handed to the producer: its callback will come. */
  added(): void {
    this.#pending++;
  }

  /** Every record of the call has been handed over (or the call failed before that, with `err`). */
  closed(err: unknown = null): void {
    if (err !== null) this.#error ??= toKafkaJSError(err);
    this.#settled(null, undefined);
  }

  #settled(err: Error | null, md: NativeMetadata | undefined): void {
    if (err) this.#error ??= toKafkaJSError(err);
    else if (md && this.#acks !== 0) this.#record(md);
    if (--this.#pending > 0) return;
    if (this.#error) this.#reject(this.#error);
    else this.#resolve(this.#results());
  }

  #record(md: NativeMetadata): void {
    // By topic, then partition number: no key is built per record.
    let partitions = this.#topics.get(md.topic);
    if (!partitions) {
      partitions = [];
      this.#topics.set(md.topic, partitions);
    }
    let known = partitions[md.partition];
    if (!known) {
      const appendTime = this.#createTime >= 0 && md.timestamp !== this.#createTime ? md.timestamp : -1;
      known = { topicName: md.topic, partition: md.partition, baseOffset: md.offset, appendTime };
      partitions[md.partition] = known;
      this.#written.push(known);
    }
    // -1: a duplicate the broker had already, offset unknown; any known offset is lower.
    if (md.offset >= 0 && (known.baseOffset < 0 || md.offset < known.baseOffset)) known.baseOffset = md.offset;
  }

  #results(): RecordMetadata[] {
    const out: RecordMetadata[] = [];
    for (const p of this.#written) {
      out.push({ topicName: p.topicName, partition: p.partition, errorCode: 0, baseOffset: String(p.baseOffset), logAppendTime: String(p.appendTime), logStartOffset: '-1' });
    }
    return out;
  }
}
