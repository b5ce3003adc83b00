// The network layer's sockets are unref'd so that an idle producer does not
// hold the process; what is pending must still hold it. A request waiting
// for an answer, and a close waiting for the broker's end of the socket,
// each settle before the process ends (the broker start-up script awaits
// exactly these while the JVM boots, and ended early without them).

import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runChild } from '../support/child-process.js';

const SCRIPT = fileURLToPath(new URL('../support/await-silent-broker.mjs', import.meta.url));
const CLUSTER = new URL('../../dist/src/network/cluster.js', import.meta.url).href;

describe('pending work holds the process', () => {
  it('a request to a silent broker, then close() while the broker keeps its end open, both settle before the process ends', async () => {
    // The silent broker lives in this process: its sockets must not be what holds the child.
    const server = net.createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as net.AddressInfo;
    const run = await runChild(SCRIPT, [CLUSTER, String(port)], 20_000).finally(() => server.close());
    expect(run.out).toContain('rejected: ');
    expect(run.out).toContain('closed');
    expect(run.code).toBe(0);
  });
});
