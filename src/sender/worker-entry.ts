// The worker thread's entry point: a Sender talking to the producer through
// the worker's parent port.

import { parentPort } from 'node:worker_threads';
import type { FromSender, ToSender } from './messages.js';
import { Sender } from './sender.js';

if (!parentPort) throw new Error('worker-entry.js runs only as the producer\'s worker thread');
const port = parentPort;
new Sender({
  post: (m: FromSender) => port.postMessage(m),
  onMessage: (h: (m: ToSender) => void) => {
    port.on('message', h);
  },
});
