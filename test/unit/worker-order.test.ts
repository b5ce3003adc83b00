// A sender thread that fails: the worker host (host.ts) must hand the
// producer every outcome the thread posted before it failed, then one
// 'crashed' message, so that records already delivered are not failed as
// lost and no record is failed twice. Node's 'error' event may overtake
// such messages (in about one thread of ten here), so the host reports the
// crash at 'exit'; the test fails many threads to see that order.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { onWorkerThread } from '../../src/sender/host.js';
import type { FromSender } from '../../src/sender/messages.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kpt-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a sender thread that fails', () => {
  it("has every outcome it posted delivered, then one 'crashed', thread after thread", async () => {
    const posted = 2_000;
    const entry = path.join(dir, 'failing-sender.mjs');
    writeFileSync(
      entry,
      `import { parentPort } from 'node:worker_threads';
       for (let i = 0; i < ${posted}; i++) parentPort.postMessage({ t: 'outcomes', outcomes: [{ slot: i, gen: 1, from: 0, count: 1, baseOffset: i, logAppendTime: -1, error: null }], counters: {}, requests: null });
       throw new Error('the sender failed');`,
    );
    for (let thread = 0; thread < 20; thread++) {
      const host = onWorkerThread(pathToFileURL(entry));
      const seen: FromSender['t'][] = [];
      const crashed = new Promise<FromSender>((resolve) =>
        host.channel.onMessage((m) => {
          seen.push(m.t);
          if (m.t === 'crashed') resolve(m);
        }),
      );
      const crash = await crashed;
      // Let anything that would (wrongly) come after the crash arrive.
      await new Promise((r) => setTimeout(r, 20));
      expect(seen.filter((t) => t === 'outcomes'), `thread ${thread}: outcomes before 'crashed'`).toHaveLength(posted);
      expect(seen.at(-1)).toBe('crashed');
      expect(seen.filter((t) => t === 'crashed')).toHaveLength(1);
      expect(crash.t === 'crashed' && crash.error.message).toMatch(/the sender thread failed: the sender failed/);
      await host.terminate();
    }
  });
});
