// The worker host reports a crashed sender thread on the worker's 'error'
// event (host.ts). That is safe only if Node delivers every message the
// thread posted before it failed ahead of 'error': else records whose
// outcomes were on their way would be failed as lost. This pins that down.

import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

describe('a worker thread that fails', () => {
  it("has every message it posted delivered before 'error' and 'exit'", async () => {
    const posted = 20_000;
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       for (let i = 0; i < ${posted}; i++) parentPort.postMessage({ i, outcome: 'x'.repeat(64) });
       throw new Error('the sender thread failed');`,
      { eval: true },
    );
    let received = 0;
    worker.on('message', () => received++);
    const atError = new Promise<number>((resolve) => worker.once('error', () => resolve(received)));
    const atExit = new Promise<number>((resolve) => worker.once('exit', () => resolve(received)));
    expect(await atError).toBe(posted);
    expect(await atExit).toBe(posted);
  });
});
