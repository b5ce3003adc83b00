// A KafkaProducer whose Sender talks to an in-process FakeCluster on its
// ManualClock: on this thread, behind a MessagePort (every message
// structured-cloned, as the worker host does), or on a worker thread (the
// built test/support/sender-thread.js: `npm run build` first). For tests and
// the fuzzer, which drive time themselves.

import type { Worker } from 'node:worker_threads';
import type { ProducerOptions } from '../../src/config.js';
import { KafkaProducer } from '../../src/producer.js';
import { SENDER_DEPS } from '../../src/sender/host.js';
import type { FakeCluster } from './fake-cluster.js';
import { ThreadBridge } from './thread-bridge.js';

export type FakeHost = 'main' | 'port' | 'thread';

/** The worker's entry: next to this file once built, under dist/ when this runs from source. */
const THREAD_ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/test/support/sender-thread.js', import.meta.url)
  : new URL('./sender-thread.js', import.meta.url);

export function producerOver(cluster: FakeCluster, host: FakeHost, options: Partial<ProducerOptions> = {}): KafkaProducer {
  const deps =
    host === 'thread'
      ? { clock: cluster.clock, thread: { entry: THREAD_ENTRY, onWorker: (w: Worker) => new ThreadBridge(cluster, w, () => {}) } }
      : {
          transport: (config: { requestTimeoutMs: number }) => {
            cluster.requestTimeoutMs = config.requestTimeoutMs;
            return cluster;
          },
          clock: cluster.clock,
          messagePort: host === 'port',
        };
  return new KafkaProducer({ bootstrapServers: '127.0.0.1:9001', worker: false, ...options, [SENDER_DEPS]: deps } as ProducerOptions);
}
