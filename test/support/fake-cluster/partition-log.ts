// One partition's log on a fake broker, as Kafka's UnifiedLog and
// ProducerStateManager keep it: data batches with the broker's idempotence
// checks (epoch, sequence, duplicates of the last five batches), control
// markers that end a producer's transaction, the last stable offset (LSO:
// the first offset of the oldest open transaction) and the read_committed
// view a consumer with isolation.level=read_committed gets (below the LSO,
// aborted transactions' records left out).

import { decodeRecordBatches } from '../../../src/protocol/record-batch.js';
import { judgeRecordBatches, UnreadableCodec, WireComplaint } from '../wire-judge.js';

/** One batch as a partition's log holds it. */
export interface LoggedBatch {
  offset: number;
  producerId: number;
  epoch: number;
  baseSequence: number;
  values: string[];
  /** The batch's size on the wire, header included. */
  bytes: number;
  /** Written inside a transaction: visible to read_committed only once its commit marker is. */
  transactional: boolean;
}

/** A control batch: the coordinator ended `producerId`'s transaction here. */
export interface LoggedMarker {
  offset: number;
  producerId: number;
  epoch: number;
  commit: boolean;
}

interface ProducerState {
  epoch: number;
  lastSeq: number;
  /** The last five batches: a retry of one of them is a duplicate. */
  recent: { first: number; last: number; offset: number }[];
  /** First offset of the producer's open transaction here, or -1. */
  txnFirstOffset: number;
}

const SEQ_MODULO = 2147483648;

/** One partition's log on a fake broker, with the broker's idempotence checks. */
export class FakePartition {
  readonly log: LoggedBatch[] = [];
  readonly markers: LoggedMarker[] = [];
  readonly #producers = new Map<number, ProducerState>();
  #nextOffset = 0;
  /** Where a producer's sequences start under a new epoch: 0, or just below the wrap when the simulator skips ahead. */
  firstSequence = 0;
  /** What the wire judge (wire-judge.ts) found wrong in the batches sent here; each was answered CORRUPT_MESSAGE. */
  readonly complaints: string[] = [];
  /** The answer to a retry of one of the last five batches: 0 (its offset) as brokers since 2.8 do, or 46 (DUPLICATE_SEQUENCE_NUMBER) as older ones did. */
  duplicateErrorCode: 0 | 46 = 0;

  /** Forgets every producer's state, as a broker does when it expires or loses it. */
  forgetProducers(): void {
    this.#producers.clear();
  }

  /** The log end offset. */
  get endOffset(): number {
    return this.#nextOffset;
  }

  /** The last stable offset: nothing at or past it is visible to read_committed. */
  get lastStableOffset(): number {
    let lso = this.#nextOffset;
    for (const s of this.#producers.values()) if (s.txnFirstOffset >= 0) lso = Math.min(lso, s.txnFirstOffset);
    return lso;
  }

  /** Producer ids with a transaction open on this partition. */
  get openTransactions(): number[] {
    return [...this.#producers].filter(([, s]) => s.txnFirstOffset >= 0).map(([id]) => id);
  }

  /**
   * The broker's checks (Kafka's ProducerStateManager): returns the error
   * code, 0 when appended or a duplicate. Bytes that do not decode are
   * CORRUPT_MESSAGE, as the broker's validation says.
   */
  append(records: Buffer): { errorCode: number; baseOffset: number } {
    const batch = this.#read(records);
    if (!batch) return { errorCode: 2, baseOffset: -1 }; // CORRUPT_MESSAGE
    const count = batch.records.length;
    const values = batch.records.map((r) => r.value?.toString() ?? '');
    if (batch.producerId < 0) return { errorCode: 0, baseOffset: this.#write(batch.producerId, batch.producerEpoch, -1, values, records.length, false) };
    const first = batch.baseSequence;
    const last = (first + count - 1) % SEQ_MODULO;
    const state = this.#producers.get(batch.producerId);
    if (!state || state.lastSeq < 0) {
      if (state && batch.producerEpoch < state.epoch) return { errorCode: 47, baseOffset: -1 };
      if (first !== this.firstSequence) return { errorCode: 59, baseOffset: -1 }; // UNKNOWN_PRODUCER_ID
    } else if (batch.producerEpoch < state.epoch) {
      return { errorCode: 47, baseOffset: -1 }; // INVALID_PRODUCER_EPOCH
    } else if (batch.producerEpoch > state.epoch) {
      if (first !== this.firstSequence) return { errorCode: 45, baseOffset: -1 };
    } else {
      const dup = state.recent.find((r) => r.first === first && r.last === last);
      if (dup) return this.duplicateErrorCode === 0 ? { errorCode: 0, baseOffset: dup.offset } : { errorCode: this.duplicateErrorCode, baseOffset: -1 };
      if (first !== (state.lastSeq + 1) % SEQ_MODULO) return { errorCode: 45, baseOffset: -1 }; // OUT_OF_ORDER_SEQUENCE_NUMBER
    }
    const offset = this.#write(batch.producerId, batch.producerEpoch, first, values, records.length, batch.transactional);
    const next = state && state.epoch === batch.producerEpoch ? state : { epoch: batch.producerEpoch, lastSeq: -1, recent: [], txnFirstOffset: state?.txnFirstOffset ?? -1 };
    next.lastSeq = last;
    next.recent.push({ first, last, offset });
    if (next.recent.length > 5) next.recent.shift();
    if (batch.transactional && next.txnFirstOffset < 0) next.txnFirstOffset = offset;
    this.#producers.set(batch.producerId, next);
    return { errorCode: 0, baseOffset: offset };
  }

  /**
   * The batch as the wire judge reads it, not our decoder: a mistake made
   * alike in both cannot pass. The judge checks every batch's CRC and reads
   * uncompressed and gzip records; records it cannot inflate (snappy, lz4,
   * zstd: the simulator's compressed batches) are read by our decoder, their
   * CRC already judged.
   */
  #read(records: Buffer): { records: { value: Buffer | null }[]; producerId: number; producerEpoch: number; baseSequence: number; transactional: boolean } | undefined {
    try {
      return judgeRecordBatches(records)[0];
    } catch (err) {
      if (err instanceof UnreadableCodec) return decodeRecordBatches(records)[0];
      if (!(err instanceof WireComplaint)) throw err;
      this.complaints.push(err.message);
      return undefined;
    }
  }

  /**
   * The coordinator's marker (WriteTxnMarkers): ends the producer's open
   * transaction here. A marker's epoch fences older epochs of the producer
   * (under transactions v2 it carries the bumped epoch).
   */
  writeMarker(producerId: number, epoch: number, commit: boolean): void {
    const state = this.#producers.get(producerId);
    this.markers.push({ offset: this.#nextOffset, producerId, epoch, commit });
    this.#nextOffset++;
    if (!state) {
      this.#producers.set(producerId, { epoch, lastSeq: -1, recent: [], txnFirstOffset: -1 });
      return;
    }
    state.txnFirstOffset = -1;
    if (epoch > state.epoch) {
      state.epoch = epoch;
      state.lastSeq = -1;
      state.recent = [];
    }
  }

  /** What a read_committed consumer reads: below the LSO, without aborted transactions' records, in offset order. */
  readCommitted(): string[] {
    const lso = this.lastStableOffset;
    const ended = new Map<number, { offset: number; commit: boolean }[]>();
    for (const m of this.markers) ended.set(m.producerId, [...(ended.get(m.producerId) ?? []), { offset: m.offset, commit: m.commit }]);
    const out: string[] = [];
    for (const b of this.log) {
      if (b.offset >= lso) break;
      if (b.transactional) {
        // The first marker of the producer after the batch ends its transaction.
        const end = ended.get(b.producerId)?.find((m) => m.offset > b.offset);
        if (!end?.commit) continue;
      }
      out.push(...b.values);
    }
    return out;
  }

  #write(producerId: number, epoch: number, baseSequence: number, values: string[], bytes: number, transactional: boolean): number {
    const offset = this.#nextOffset;
    this.log.push({ offset, producerId, epoch, baseSequence, values, bytes, transactional });
    this.#nextOffset += values.length;
    return offset;
  }

  /** Every value in log order. */
  get values(): string[] {
    return this.log.flatMap((b) => b.values);
  }
}
