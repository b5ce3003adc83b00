// The application side of phase "outage" (issue 9, point 4), in a process
// of its own so that its RSS is the producer's and this stream's only; the
// parent (outage.ts) runs the cluster and tells it, over the IPC channel,
// when the cluster went down, when it is back and when the proxies stall.
//
// It streams records as fast as the producer takes them (paced by
// needsDrain / ready()), samples its RSS every 50 ms, and reports: the
// idle baseline, the peak while the cluster was down, the failures by
// class with their times from send() (BufferExhaustedError after
// maxBlockMs, KafkaTimeoutError after deliveryTimeoutMs), how long after
// the cluster's return acknowledgements came again; then close() while
// records are being retried (the proxies stalled), what each of those
// records became, what process.getActiveResourcesInfo() holds after close()
// that it did not before the producer, and the kcat read-back.

import diagnostics_channel from 'node:diagnostics_channel';
import { CHANNELS, KafkaProducer, ProducerClosedError, type ProducerOptions } from 'kafka-producer-ts';
import { activeResources, resourcesLeft } from '../support/active-resources.js';
import { readBack, type ReadBack } from '../support/read-back.js';
import { Load } from './load.js';

export interface OutageAppArgs {
  bootstrap: string;
  direct: string;
  topic: string;
  valueBytes: number;
  capacity: number;
  producer: Omit<ProducerOptions, 'bootstrapServers'>;
  closeTimeoutMs: number;
  /** Records sent while the proxies stall, for close() to find being retried. */
  closeRecords: number;
}

export type ToApp = { t: 'outage-start' } | { t: 'back' } | { t: 'stalled' };

export interface OutageReport extends ReadBack {
  cpuSeconds: number;
  sent: number;
  acknowledged: number;
  failed: number;
  settledTwice: number;
  unsettled: number;
  retries: number;
  epochBumps: number;
  connectionsOpened: number;
  /** Failures by class: count, one message, least and most ms from send() to failure. */
  errors: Record<string, { count: number; message: string; minMs: number; maxMs: number }>;
  baselineRssMb: number;
  /** Every 5 s from the start of the full load: this thread's memory (the sender's worker thread has a heap of its own, in RSS only). */
  memoryTrace: { s: number; window: string; rssMb: number; heapUsedMb: number; heapTotalMb: number; arrayBuffersMb: number }[];
  peakRssMb: { beforeOutage: number; outage: number; afterOutage: number };
  /** ms from the cluster answering again to the first 1,000 acknowledgements after that; null if they never came. */
  resumedAfterMs: number | null;
  close: {
    records: number;
    retriesBefore: number;
    timeoutMs: number;
    tookMs: number;
    acknowledged: number;
    closedErrors: number;
    otherErrors: number;
    unsettled: number;
    /** One message per error class among these records' failures. */
    messages: Record<string, string>;
  };
  /** Active resources and threads after close() beyond those before the producer was made (test/support/active-resources.ts). */
  leaked: Record<string, number>;
}

export type FromApp = { t: 'warm' } | { t: 'resumed' } | { t: 'stall-me' } | { t: 'closed' } | { t: 'report'; report: OutageReport };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const post = (m: FromApp) => process.send?.(m);
const next = (t: ToApp['t']) =>
  new Promise<void>((resolve) => {
    const on = (m: ToApp) => {
      if (m.t !== t) return;
      process.off('message', on);
      resolve();
    };
    process.on('message', on);
  });

async function main(args: OutageAppArgs): Promise<OutageReport> {
  const before = activeResources();
  let connectionsOpened = 0;
  diagnostics_channel.subscribe(CHANNELS.connectionOpen, () => void connectionsOpened++);
  const producer = new KafkaProducer({ bootstrapServers: args.bootstrap, ...args.producer });
  const load = new Load(producer, args.topic, { valueBytes: args.valueBytes, capacity: args.capacity });
  await producer.partitionsFor(args.topic);
  await load.run({ records: 1_000 });
  await producer.flush();
  await sleep(1_000);
  const baseline = process.memoryUsage.rss();
  post({ t: 'warm' });

  const peaks = { beforeOutage: 0, outage: 0, afterOutage: 0 };
  let window: keyof typeof peaks = 'beforeOutage';
  const trace: OutageReport['memoryTrace'] = [];
  const loadStarted = performance.now();
  let samples = 0;
  const sampler = setInterval(() => {
    peaks[window] = Math.max(peaks[window], process.memoryUsage.rss());
    if (samples++ % 100 === 0) {
      const m = process.memoryUsage();
      trace.push({ s: Math.round((performance.now() - loadStarted) / 1000), window, rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), arrayBuffersMb: mb(m.arrayBuffers) });
    }
  }, 50);
  let stop = false;
  const streaming = load.run({ until: () => stop });

  await next('outage-start');
  window = 'outage';
  await next('back');
  window = 'afterOutage';
  const backAt = performance.now();
  load.acksSince = 0;
  let resumedAfterMs: number | null = null;
  const deadline = backAt + 180_000;
  while (load.acksSince < 1_000 && performance.now() < deadline) await sleep(20);
  if (load.acksSince >= 1_000) resumedAfterMs = Math.round(performance.now() - backAt);
  post({ t: 'resumed' });
  await sleep(5_000);
  stop = true;
  await streaming;
  await producer.flush();
  clearInterval(sampler);

  // close() while records are being retried: the proxies stall, requests time out and go again.
  const { ledger } = load;
  const closedBefore = ledger.errors.get(ProducerClosedError.name)?.count ?? 0;
  const [ackedBefore, failedBefore, firstClose] = [ledger.acknowledged, ledger.failed, ledger.sent];
  post({ t: 'stall-me' });
  await next('stalled');
  // metrics() counts retries as outcomes arrive; the retry channel tells at once.
  let retries = 0;
  diagnostics_channel.subscribe(CHANNELS.retry, () => void retries++);
  const retriesBefore = producer.metrics().retries;
  const messages: Record<string, string> = {};
  producer.on('deliveryError', (err) => void (messages[err.constructor.name] ??= err.message));
  await load.run({ records: firstClose + args.closeRecords });
  while (retries === 0) await sleep(20);
  const closeStarted = performance.now();
  await producer.close({ timeoutMs: args.closeTimeoutMs });
  const tookMs = Math.round(performance.now() - closeStarted);
  // Outcomes arrive before close() resolves; a turn of the loop lets any late one show (it must not).
  await new Promise((r) => setImmediate(r));
  const closedErrors = (ledger.errors.get(ProducerClosedError.name)?.count ?? 0) - closedBefore;
  const closeAcked = ledger.acknowledged - ackedBefore;
  const close = {
    records: args.closeRecords,
    retriesBefore,
    timeoutMs: args.closeTimeoutMs,
    tookMs,
    acknowledged: closeAcked,
    closedErrors,
    otherErrors: ledger.failed - failedBefore - closedErrors,
    unsettled: ledger.sent - ledger.settled,
    messages,
  };
  const leaked = resourcesLeft(before);
  post({ t: 'closed' });

  const metrics = producer.metrics();
  const { user, system } = process.cpuUsage();
  return {
    cpuSeconds: (user + system) / 1e6,
    sent: ledger.sent,
    acknowledged: ledger.acknowledged,
    failed: ledger.failed,
    settledTwice: ledger.settledTwice,
    unsettled: ledger.sent - ledger.settled,
    retries: metrics.retries,
    epochBumps: metrics.epochBumps,
    connectionsOpened,
    errors: Object.fromEntries([...ledger.errors].map(([k, v]) => [k, { ...v, minMs: Math.round(v.minMs), maxMs: Math.round(v.maxMs) }])),
    baselineRssMb: mb(baseline),
    memoryTrace: trace,
    peakRssMb: { beforeOutage: mb(peaks.beforeOutage), outage: mb(peaks.outage), afterOutage: mb(peaks.afterOutage) },
    resumedAfterMs,
    close,
    leaked,
    ...(await readBack(args.direct, args.topic, ledger)),
  };
}

const args = JSON.parse(process.env.CHAOS_OUTAGE_ARGS ?? 'null') as OutageAppArgs | null;
if (!args || !process.send) throw new Error('outage-app runs as a child of the chaos run (test/chaos/outage.ts), with CHAOS_OUTAGE_ARGS and an IPC channel');
const report = await main(args);
post({ t: 'report', report });
process.disconnect();
