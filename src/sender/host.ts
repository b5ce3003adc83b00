// Where the Sender runs: on a worker thread (the default, so the
// application's event loop stays free) or on the main thread (worker: false).
// Either way the producer gets the same Channel; on the main thread messages
// are still delivered asynchronously, so both hosts behave alike.
// Neither holds the process by itself (the Java client's sender thread is a
// daemon): the producer calls keepAlive(true) while work is pending.

import { MessageChannel, Worker } from 'node:worker_threads';
import { ProducerFatalError } from '../errors.js';
import type { Channel, FromSender, ToSender } from './messages.js';
import { Sender, type SenderDeps } from './sender.js';
import { serializeError } from './wire-errors.js';

export interface SenderHost {
  channel: Channel<FromSender, ToSender>;
  /**
   * true: the process stays alive (records, a transaction or a flush are
   * pending); false: the sender's thread, sockets and timers do not hold it.
   */
  keepAlive(on: boolean): void;
  /** Stops the thread (worker) or drops the references (main thread). */
  terminate(): Promise<void>;
}

/**
 * Internal, for the Sender's own tests: a producer option under this symbol
 * gives a main-thread Sender a fake transport and clock. Not exported from
 * the package entry.
 */
export const SENDER_DEPS = Symbol('kafka-producer-ts:sender-deps');

export function startSender(onWorker: boolean, deps?: SenderDeps): SenderHost {
  if (deps?.thread) return onWorkerThread(deps.thread.entry, deps.thread.onWorker);
  if (deps?.messagePort) return overMessagePort(deps);
  return onWorker ? onWorkerThread() : onMainThread(deps);
}

/**
 * Tests: a Sender on this thread behind a MessageChannel, so every message
 * is structured-cloned and delivered as the worker host delivers it, while
 * the fake transport and clock stay reachable.
 */
function overMessagePort(deps: SenderDeps): SenderHost {
  const { port1, port2 } = new MessageChannel();
  new Sender({ post: (m) => port2.postMessage(m), onMessage: (h) => port2.on('message', h) }, deps);
  let handler: ((m: FromSender) => void) | null = null;
  port1.on('message', (m: FromSender) => handler?.(m));
  return {
    channel: {
      post: (m) => port1.postMessage(m),
      onMessage: (h) => {
        handler = h;
      },
    },
    keepAlive: () => {},
    terminate: async () => {
      port1.close();
      port2.close();
    },
  };
}

/**
 * The sender thread's young generation, in MB (V8's default lets it grow to
 * tens of megabytes under load). The thread's garbage is small and short-lived (requests are
 * framed around the batches' shared bytes, not copied), so a small young
 * generation costs it little time and keeps the process's memory near
 * bufferMemory (bench/results/MEMORY.md).
 */
const SENDER_YOUNG_GENERATION_MB = 3;

/** `entry`: the thread's script; tests give their own, and see the thread through `onWorker`. */
export function onWorkerThread(entry: URL = new URL('./worker-entry.js', import.meta.url), onWorker?: (worker: Worker) => void): SenderHost {
  const worker = new Worker(entry, { resourceLimits: { maxYoungGenerationSizeMb: SENDER_YOUNG_GENERATION_MB } });
  worker.unref();
  let handler: ((m: FromSender) => void) | null = null;
  worker.on('message', (m: FromSender) => handler?.(m));
  let terminating = false;
  let reported = false;
  // 'error' may overtake outcomes the thread posted before it failed; Node
  // delivers those before 'exit'. So the crash is reported at 'exit', with
  // the error as its cause.
  let failure: Error | null = null;
  worker.on('error', (err) => {
    failure ??= err;
  });
  onWorker?.(worker);
  worker.on('exit', (code) => {
    if (terminating || reported) return;
    reported = true;
    const why = failure ? failure.message : `it exited with code ${code}`;
    handler?.({ t: 'crashed', error: serializeError(new ProducerFatalError(`the sender thread failed: ${why}`, failure ?? undefined)) });
  });
  return {
    channel: {
      post: (m) => worker.postMessage(m),
      onMessage: (h) => {
        handler = h;
      },
    },
    keepAlive: (on) => (on ? worker.ref() : worker.unref()),
    terminate: async () => {
      terminating = true;
      await worker.terminate();
    },
  };
}

function onMainThread(deps: SenderDeps | undefined): SenderHost {
  let toProducer: ((m: FromSender) => void) | null = null;
  let toSender: ((m: ToSender) => void) | null = null;
  const senderSide: Channel<ToSender, FromSender> = {
    post: (m) => setImmediate(() => toProducer?.(m)),
    onMessage: (h) => {
      toSender = h;
    },
  };
  new Sender(senderSide, deps);
  // The Sender's sockets and timers are unref'd (Connection, systemClock):
  // this timer is what holds the process while work is pending.
  const holder = setInterval(() => {}, 2 ** 31 - 1).unref();
  return {
    channel: {
      post: (m) => setImmediate(() => toSender?.(m)),
      onMessage: (h) => {
        toProducer = h;
      },
    },
    keepAlive: (on) => (on ? holder.ref() : holder.unref()),
    terminate: async () => {
      clearInterval(holder);
      toProducer = null;
      toSender = null;
    },
  };
}
