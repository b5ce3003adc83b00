// A worker thread's entry for the Sender's rule tests: the Sender as
// worker-entry.js runs it, but on the fake cluster of the test's thread
// (remote-cluster.ts). Built with the package (tsconfig.build.json), since a
// worker runs JavaScript.

import { parentPort } from 'node:worker_threads';
import type { ToSender } from '../../src/sender/messages.js';
import { Sender } from '../../src/sender/sender.js';
import { RemoteCluster } from './remote-cluster.js';
import { isBridgeMessage, type FromThread, type ToThread } from './thread-messages.js';

if (!parentPort) throw new Error('sender-thread.js runs only as a worker thread');
const port = parentPort;
const remote = new RemoteCluster((m: FromThread) => port.postMessage(m));
let toSender: ((m: ToSender) => void) | null = null;

/** Lets the Sender finish what the last messages started before the test's thread is told it is quiet. */
async function turns(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

port.on('message', (m: ToSender | ToThread) => {
  if (!isBridgeMessage(m)) {
    toSender?.(m);
    return;
  }
  const msg = m as ToThread;
  if (msg.t === 'fake:sync') {
    void turns().then(() => port.postMessage({ t: 'fake:synced', n: msg.n } satisfies FromThread));
  } else if (msg.t === 'fake:crash') {
    setImmediate(() => {
      throw new Error(msg.message);
    });
  } else {
    remote.receive(msg);
  }
});

new Sender(
  {
    post: (m) => port.postMessage(m),
    onMessage: (h) => {
      toSender = h;
    },
  },
  { transport: (config) => remote.configure(config.requestTimeoutMs), clock: remote.clock },
);
