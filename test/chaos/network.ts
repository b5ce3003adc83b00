// Phase "network" (issue 9, point 2): faults between the producer and the
// brokers, through the test proxies (test/support/tcp-proxy.ts), each on the
// proxy of the busiest partition's leader unless said otherwise: every
// connection reset; a connection reset half-way through a Produce request;
// half-open connections that go silent; a proxy that stalls every
// connection, new ones too; responses delayed past requestTimeoutMs; a
// Produce response cut in the middle of its frame; responses one byte at a
// time. The producer must get through all of it by itself.

import type { TcpProxy } from '../support/tcp-proxy.js';
import type { FaultContext } from './phase.js';
import { quiet, type Step } from './timeline.js';

export const NETWORK_REQUEST_TIMEOUT_MS = 3_000;
const PRODUCE = 0;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Until `pending` is false or `ms` passed; whether it became false. */
async function until(pending: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (pending() && performance.now() < deadline) await sleep(10);
  return !pending();
}

export function networkSteps({ cluster, topic, load, log }: FaultContext): Step[] {
  const T = NETWORK_REQUEST_TIMEOUT_MS;
  /** The proxy in front of the busiest partition's leader. */
  const busiestProxy = async (what: string): Promise<TcpProxy> => {
    const partition = load.busiest();
    const leader = await cluster.leaderOf(topic, partition);
    log(`${what}: node ${leader}, leader of partition ${partition}`);
    return cluster.proxyOf(leader);
  };
  const step = (kind: string, estimateMs: number, run: () => Promise<boolean | void>): Step => ({ kind, estimateMs, run });
  /** A one-shot fault armed on the busiest leader's proxy: done once the next Produce request or response meets it (5 s at most). */
  const oneShot = (kind: string, what: string, arm: (proxy: TcpProxy) => void, pending: (proxy: TcpProxy) => boolean): Step =>
    step(kind, 3_000, async () => {
      const proxy = await busiestProxy(what);
      arm(proxy);
      const done = await until(() => pending(proxy), 5_000);
      proxy.disarm();
      await sleep(2_000);
      return done;
    });
  const times = (n: number, s: Step) => Array.from({ length: n }, () => s);
  const resetMidRequest = oneShot('connection reset mid-request (Produce)', 'reset mid-request', (p) => p.resetNextRequest({ apiKey: PRODUCE }), (p) => p.requestResetPending);
  const cutMidFrame = oneShot('response cut mid-frame (Produce)', 'cut', (p) => p.cutNextResponse({ apiKey: PRODUCE }), (p) => p.cutPending);

  return [
    quiet(3_000),
    step('every connection reset (all proxies)', 3_000, async () => {
      for (const p of cluster.proxies.values()) p.resetAll();
      await sleep(3_000);
    }),
    ...times(3, resetMidRequest),
    ...times(
      2,
      step('half-open connections that stall', T + 2_500, async () => {
        const proxy = await busiestProxy('half-open');
        const before = proxy.stats.halfOpened;
        proxy.halfOpen();
        await sleep(T + 2_000);
        return proxy.stats.halfOpened > before;
      }),
    ),
    step('proxy stalled, new connections too', T + 2_500, async () => {
      const proxy = await busiestProxy('stall');
      proxy.stall();
      await sleep(T + 2_000);
      proxy.resume();
    }),
    ...times(
      2,
      step(`responses delayed past requestTimeoutMs (${T + 1_000} ms)`, T + 4_500, async () => {
        const proxy = await busiestProxy('delay');
        proxy.delayResponses(T + 1_000);
        await sleep(T + 3_000);
        proxy.delayResponses(0);
        await sleep(1_000);
      }),
    ),
    ...times(3, cutMidFrame),
    step('responses one byte at a time (5 s)', 5_500, async () => {
      const proxy = await busiestProxy('byte by byte');
      const before = proxy.stats.responseWrites;
      proxy.byteByByte(true);
      await sleep(5_000);
      proxy.byteByByte(false);
      log(`${proxy.stats.responseWrites - before} response writes in 5 s`);
    }),
    quiet(3_000),
  ];
}
