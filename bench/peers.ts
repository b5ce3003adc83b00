// The clients npm run bench measures and how each is started: Node runners
// under dist/bench/clients (one process per run), the Java producer and kcat
// as processes of their own, kafka-python in its virtual environment. Peers
// that are not npm dependencies of the project (node-rdkafka, kcat,
// kafka-python) are installed here, when selected, into the cache; one that
// cannot be installed still gets its rows, saying why, and the bench goes on.

import path from 'node:path';
import type { Broker } from './broker.js';
import { JAVA_UNSUPPORTED_KEYED, JavaProducer, matchedProps } from './java.js';
import type { Job, RunResult } from './job.js';
import { KCAT_UNSUPPORTED_LATENCY, KcatProducer, kcatVersion } from './kcat.js';
import { ourVersion, packageVersion, ROOT } from './machine.js';
import type { PeerInfo, Workload } from './model.js';
import { lastJsonLine, runProcess } from './proc.js';
import { provisionKafkaPython } from './setup/kafka-python.js';
import { provisionNodeRdkafka } from './setup/node-rdkafka.js';
import { provisionKcat } from '../scripts/tools/provision-tools.js';

type Mode = Workload['mode'];

const KAFKAJS_NATIVE_CODEC = "kafkajs's lz4 and zstd codec plugins (kafkajs-lz4, @kafkajs/zstd) need a native build (lz4, cppzst)";

export interface Peer {
  info: PeerInfo;
  /** The workload modes this client takes part in; workloads of other modes have no row for it. */
  modes: Mode[];
  /** Why it cannot run workload `w` of a mode it takes part in (keys, latency), or null. */
  unsupported(w: Workload): string | null;
  /** Before the first run, on a scratch topic: clients timed from outside measure their start-up. */
  calibrate?(bootstrap: string, topic: string): Promise<void>;
  run(job: Job, timeoutMs: number): Promise<RunResult>;
  /** Removes what the peer left on disk. */
  dispose?(): void;
}

type Identity = Omit<PeerInfo, 'how' | 'unavailable'>;

const MAIN: Mode[] = ['throughput', 'latency'];
const FIRST_PROGRAM: Mode[] = ['first-program'];
/** Peers with a 256 KiB batch size: how far each goes when allowed batches like the ones the per-call clients send. */
const BIG_BATCH = 262_144;

function info(id: Identity, how: string | null = null): PeerInfo {
  return { ...id, how, unavailable: null };
}

/** A client whose runner prints one RunResult JSON line; `options` are merged into every job's. */
function processPeer(id: Identity, modes: Mode[], command: string, args: string[], options: Record<string, unknown> = {}): Peer {
  return {
    info: info(id),
    modes,
    unsupported: () => null,
    async run(job, timeoutMs) {
      const out = await runProcess(command, [...args, JSON.stringify({ ...job, options: { ...job.options, ...options } })], timeoutMs);
      return lastJsonLine<RunResult>(out, timeoutMs);
    },
  };
}

/** A Node client: its runner script under dist/bench/clients, in a fresh process per run. */
function nodePeer(id: Identity, script: string, options: Record<string, unknown> = {}, modes = MAIN): Peer {
  return processPeer(id, modes, process.execPath, [path.join(ROOT, 'dist', 'bench', 'clients', script)], options);
}

function javaPeer(id: Identity, java: JavaProducer): Peer {
  return {
    info: info(id, java.how),
    modes: MAIN,
    unsupported: (w) => (w.keyed ? JAVA_UNSUPPORTED_KEYED : null),
    calibrate: (bootstrap, topic) => java.calibrate(bootstrap, topic),
    run: (job, t) => java.run(job, t),
  };
}

function kcatPeer(id: Omit<Identity, 'version'>): Peer {
  const bin = provisionKcat();
  const kcat = new KcatProducer(bin);
  return {
    info: info({ ...id, version: kcatVersion(bin) }, kcat.how),
    modes: MAIN,
    unsupported: (w) => (w.mode === 'latency' ? KCAT_UNSUPPORTED_LATENCY : null),
    calibrate: (bootstrap, topic) => kcat.calibrate(bootstrap, topic),
    run: (job, t) => kcat.run(job, t),
    dispose: () => kcat.dispose(),
  };
}

function rdkafkaPeer(id: Omit<Identity, 'version'>): Peer {
  const installed = provisionNodeRdkafka();
  return nodePeer({ ...id, version: installed.version }, 'rdkafka.js', { dir: installed.dir });
}

function kafkaPythonPeer(id: Omit<Identity, 'version'>): Peer {
  const installed = provisionKafkaPython();
  return processPeer({ ...id, version: installed.version }, FIRST_PROGRAM, installed.python, [path.join(ROOT, 'bench', 'python', 'first_program.py')]);
}

/** A peer whose installation failed: its rows say why, and it never runs. */
function unavailable(id: Identity, modes: Mode[], err: unknown): Peer {
  const reason = `could not be installed: ${err instanceof Error ? err.message : String(err)}`;
  process.stderr.write(`bench: ${id.label} is left out (its rows say so): ${reason}\n`);
  return {
    info: { ...id, how: null, unavailable: reason },
    modes,
    unsupported: () => null,
    run: async () => ({ ok: false, error: reason }),
  };
}

/** Makes a peer that has to be installed first; on failure, one that says why. */
function installed(id: Omit<Identity, 'version'>, modes: Mode[], make: (id: Omit<Identity, 'version'>) => Peer): Peer {
  try {
    return make(id);
  } catch (err) {
    return unavailable({ ...id, version: 'not installed' }, modes, err);
  }
}

/** Every peer in report order, or those of `only` (ids); only the peers returned are installed. */
export function peers(b: Broker, only: string[] | null): Peer[] {
  const ours = ourVersion();
  const all: [string, () => Peer][] = [
    [
      'kafkajs',
      () => ({
        ...nodePeer({ id: 'kafkajs', label: 'kafkajs', version: packageVersion('kafkajs'), kind: 'node', atDefaults: true }, 'kafkajs.js'),
        unsupported: (w: Workload) => (w.compression === 'lz4' || w.compression === 'zstd' ? KAFKAJS_NATIVE_CODEC : null),
      }),
    ],
    [
      'platformatic',
      () => nodePeer({ id: 'platformatic', label: '@platformatic/kafka, acks ALL', version: packageVersion('@platformatic/kafka'), kind: 'node', atDefaults: false }, 'platformatic.js'),
    ],
    [
      'platformatic-defaults',
      () =>
        nodePeer(
          { id: 'platformatic-defaults', label: '@platformatic/kafka, its defaults (acks 1)', version: packageVersion('@platformatic/kafka'), kind: 'node', atDefaults: true },
          'platformatic.js',
          { defaults: true },
        ),
    ],
    ['kafkats', () => nodePeer({ id: 'kafkats', label: '@kafkats/client', version: packageVersion('@kafkats/client'), kind: 'node', atDefaults: true }, 'kafkats.js')],
    ['node-rdkafka', () => installed({ id: 'node-rdkafka', label: 'node-rdkafka', kind: 'node', atDefaults: true }, MAIN, rdkafkaPeer)],
    ['kcat', () => installed({ id: 'kcat', label: 'kcat -P (librdkafka, C)', kind: 'other', atDefaults: true }, MAIN, kcatPeer)],
    [
      'java',
      () => javaPeer({ id: 'java', label: 'Java producer, idempotence off', version: `kafka-clients ${b.version}`, kind: 'other', atDefaults: false }, new JavaProducer(b.libsDir, matchedProps(16_384))),
    ],
    [
      'java-defaults',
      () => javaPeer({ id: 'java-defaults', label: 'Java producer, its defaults', version: `kafka-clients ${b.version}`, kind: 'other', atDefaults: true }, new JavaProducer(b.libsDir, [])),
    ],
    ['ours-worker', () => nodePeer({ id: 'ours-worker', label: 'kafka-producer-ts (worker)', version: ours, kind: 'ours', atDefaults: true }, 'ours.js', { worker: true })],
    ['ours-main', () => nodePeer({ id: 'ours-main', label: 'kafka-producer-ts (main thread)', version: ours, kind: 'ours', atDefaults: false }, 'ours.js', { worker: false })],
    [
      'ours-kafkajs',
      () => nodePeer({ id: 'ours-kafkajs', label: 'kafka-producer-ts/kafkajs (kafkajs API)', version: ours, kind: 'ours', atDefaults: false }, 'kafkajs.js', { adapter: true }),
    ],
    [
      'java-256k',
      () =>
        javaPeer(
          { id: 'java-256k', label: 'Java producer, batch.size 256 KiB', version: `kafka-clients ${b.version}`, kind: 'other', atDefaults: false },
          new JavaProducer(b.libsDir, matchedProps(BIG_BATCH)),
        ),
    ],
    [
      'ours-worker-256k',
      () =>
        nodePeer(
          { id: 'ours-worker-256k', label: 'kafka-producer-ts (worker), batchSize 256 KiB', version: ours, kind: 'ours', atDefaults: false },
          'ours.js',
          { worker: true, batchSize: BIG_BATCH },
        ),
    ],
    [
      'ours-first',
      () => nodePeer({ id: 'ours-first', label: 'kafka-producer-ts', version: ours, kind: 'ours', atDefaults: true }, 'ours-first.js', {}, FIRST_PROGRAM),
    ],
    ['kafka-python', () => installed({ id: 'kafka-python', label: 'kafka-python', kind: 'other', atDefaults: true }, FIRST_PROGRAM, kafkaPythonPeer)],
  ];
  const ids = all.map(([id]) => id);
  const unknown = only?.filter((id) => !ids.includes(id)) ?? [];
  if (unknown.length) throw new Error(`BENCH_PEERS names no such client: ${unknown.join(', ')}; the ids are ${ids.join(', ')}`);
  return all.filter(([id]) => !only || only.includes(id)).map(([, make]) => make());
}
