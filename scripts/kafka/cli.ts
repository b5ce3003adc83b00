// npm run kafka:start / kafka:stop: a local broker for development, the demo
// and the benchmarks. `start` returns once the broker answers Metadata and
// prints its bootstrap address; `--cluster` starts the three-node cluster.

import { startCluster, stopCluster, readState } from './broker.js';

async function main(): Promise<void> {
  const [command = 'start', ...flags] = process.argv.slice(2);
  const name = flags.includes('--cluster') ? 'cluster' : 'single';
  switch (command) {
    case 'start': {
      const state = await startCluster({ name });
      process.stderr.write(`kafka: Apache Kafka ${state.version} (${name}) is up; stop it with npm run kafka:stop${name === 'cluster' ? ' -- --cluster' : ''}\n`);
      process.stdout.write(`${state.bootstrap}\n`);
      return;
    }
    case 'stop': {
      const stopped = await stopCluster(name);
      process.stderr.write(stopped ? `kafka: stopped (${name})\n` : `kafka: nothing running (${name})\n`);
      return;
    }
    case 'status': {
      const state = readState(name);
      process.stdout.write(state ? `${state.bootstrap} (Kafka ${state.version}, pids ${state.nodes.map((n) => n.pid).join(' ')})\n` : 'not running\n');
      return;
    }
    default:
      throw new Error(`unknown command "${command}": use start, stop or status`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
