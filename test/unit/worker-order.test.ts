// The worker host reports a crashed sender thread when the worker's 'exit'
// event comes, not at 'error' (host.ts): 'error' may overtake messages the
// thread posted before it failed (outcomes on their way: records would be
// failed as lost though delivered), while Node drains the thread's port
// before 'exit'. This pins that down.

import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

describe('a worker thread that fails', () => {
  it("has every message it posted delivered before 'exit'", async () => {
    const posted = 20_000;
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       for (let i = 0; i < ${posted}; i++) parentPort.postMessage({ i, outcome: 'x'.repeat(64) });
       throw new Error('the sender thread failed');`,
      { eval: true },
    );
    let received = 0;
    worker.on('message', () => received++);
    worker.once('error', () => {});
    const atExit = new Promise<number>((resolve) => worker.once('exit', () => resolve(received)));
    expect(await atExit).toBe(posted);
  });
});
