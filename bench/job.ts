// What the orchestrator hands a client runner (as JSON in argv) and the one
// JSON line the runner prints back.

/**
 * The three ways a first program sends (the kafka-python tutorials'): one
 * awaited send at a time; every send fired, then all awaited together; every
 * send with a callback, then one flush.
 */
export type FirstWay = 'await-each' | 'all-then-await' | 'callback-flush';

/** The codecs of the compressed workloads. */
export type BenchCodec = 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Random printable ASCII (the uncompressed workloads) or JSON-like events that compress like real ones (bench/json-values.ts). */
export type ValueKind = 'printable' | 'json';

export interface Job {
  /**
   * 'throughput': everything as fast as the client goes; 'latency': a fixed
   * offered rate; 'first-program': the client's defaults, sending the way
   * options.way says.
   */
  mode: 'throughput' | 'latency' | 'first-program';
  bootstrap: string;
  topic: string;
  records: number;
  valueSize: number;
  keyed: boolean;
  /** Offered records per second in latency mode. */
  rate: number;
  /** Records to send to the topic before the clock starts, not timed (0: none). */
  warmupRecords: number;
  /** The codec each client is asked for; absent: none. */
  compression?: BenchCodec;
  /** Absent: printable. */
  values?: ValueKind;
  /** Runner-specific switches, e.g. { worker: true } for ours, { way } in first-program mode. */
  options: Record<string, unknown>;
}

export interface RunMetrics {
  ok: true;
  /** How the client was driven, for the report. */
  how: string;
  wallMs: number;
  /** Records the client sent to the topic before the clock started (the job's warmupRecords, or 0 for a client that cannot warm up in its process). */
  warmupRecords: number;
  /** User + system CPU of the whole process during the timed section; null where not measurable. */
  cpuMs: number | null;
  maxRssMb: number | null;
  /** Main-thread event-loop delay p99 during the timed section; null where not measurable. */
  loopP99Ms: number | null;
  /** Bytes the topic's log holds per record sent after the run (batch framing and compression included), set by the bench from the broker's log directory; null where not measured. */
  wireBytesPerRecord?: number | null;
  /** Send-to-ack latency (latency mode). */
  /** p99SteadyMs: the p99 of the records due after the first second (null where not measured). */
  latency: { p50Ms: number; p99Ms: number; p99SteadyMs?: number | null; per: string } | null;
}

export interface RunFailure {
  ok: false;
  error: string;
}

export type RunResult = RunMetrics | RunFailure;
