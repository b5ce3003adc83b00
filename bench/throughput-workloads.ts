// The throughput workloads' sizes, shared by npm run bench and bench:solo so
// that a solo A/B measures what the bench does. Warm-up records are sent by
// each client process before its clock starts: about as many as a fresh
// process needs before its hot code is compiled and its memory touched
// (profiles of our producer: the first ~100,000 sends cost about twice the
// later ones).

export interface ThroughputSize {
  records: number;
  warmupRecords: number;
  valueSize: number;
  keyed: boolean;
}

export const THROUGHPUT_SIZES = {
  '100b': { records: 1_000_000, warmupRecords: 200_000, valueSize: 100, keyed: false },
  '100b-keyed': { records: 1_000_000, warmupRecords: 200_000, valueSize: 100, keyed: true },
  '1k': { records: 200_000, warmupRecords: 100_000, valueSize: 1024, keyed: false },
  '1k-keyed': { records: 200_000, warmupRecords: 100_000, valueSize: 1024, keyed: true },
} satisfies Record<string, ThroughputSize>;

export type ThroughputId = keyof typeof THROUGHPUT_SIZES;
