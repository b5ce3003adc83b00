// Starts and stops real Apache Kafka brokers in KRaft mode on 127.0.0.1: one
// combined broker+controller, or a 3-node cluster for failover tests. Each
// JVM runs detached in its own process group, so stopping kills the whole
// group; a state file in the run directory records what was started, so
// `kafka:stop` (another process) can stop it and a second start reuses it.

import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster } from '../../src/network/cluster.js';
import { provisionKafka, kafkaVersion } from './provision.js';

export interface ClusterSpec {
  /** Names the run directory: 'single' (default), 'cluster', or a test's own broker. */
  name?: string;
  /** Nodes to run: 3 for 'cluster', else 1 unless given. */
  nodes?: number;
  version?: string;
  /**
   * First client port; node i listens on basePort + 2i and its controller on
   * basePort + 2i + 1. Keep it below 32768, out of Linux's ephemeral range:
   * there a client reconnecting while the broker is down can be handed the
   * broker's own port (or connect to itself) and the restart cannot bind it.
   */
  basePort?: number;
  /** Extra broker properties, e.g. { 'auto.create.topics.enable': 'true' }. */
  overrides?: Record<string, string>;
  /**
   * Per node (index nodeId - 1), a second client listener, CLIENT, on `port`
   * that advertises `advertisedPort`: for a test proxy on advertisedPort in
   * front of `port`. A broker answers Metadata with the endpoints of the
   * listener the request came in on
   * (https://kafka.apache.org/documentation/#brokerconfigs_advertised.listeners),
   * so a client that bootstraps through the proxies stays on them, while
   * replication and the state's bootstrap list keep PLAINTEXT, direct.
   */
  clientListeners?: { port: number; advertisedPort: number }[];
  /**
   * Per node (index nodeId - 1), more listeners with their own security
   * protocol (the security tests' SASL and TLS listeners); each advertises
   * `advertisedPort` when given, else its own port. Their SASL and SSL
   * settings go in `overrides`.
   */
  listeners?: ExtraListener[][];
  /** More arguments for `kafka-storage format`, e.g. `--add-scram` for SCRAM users (KIP-900). */
  formatArgs?: string[];
  /**
   * A process the brokers must not outlive (a test run): every JVM started
   * for this cluster, restarts included, gets a watchdog that stops it when
   * that process exits, however it exits.
   */
  ownerPid?: number;
}

export interface ExtraListener {
  /** The listener name, e.g. SASL_SSL or MTLS. */
  name: string;
  protocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  port: number;
  advertisedPort?: number;
}

export interface NodeState {
  nodeId: number;
  pid: number;
  port: number;
  logDir: string;
  logFile: string;
  config: string;
  heap: string;
}

export interface ClusterState {
  name: string;
  version: string;
  libsDir: string;
  bootstrap: string;
  nodes: NodeState[];
  startedAt: string;
  /** Seconds from spawning the JVMs to Metadata answering with every broker. */
  startSeconds: number;
  ownerPid: number | null;
}

export function runDir(name: string): string {
  return path.join(process.env.KAFKA_RUN_DIR ?? path.join(os.tmpdir(), 'kafka-producer-ts'), name);
}

function statePath(name: string): string {
  return path.join(runDir(name), 'state.json');
}

export function readState(name: string): ClusterState | null {
  try {
    return JSON.parse(readFileSync(statePath(name), 'utf8')) as ClusterState;
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * base64url of 16 random bytes: the shape of a Kafka cluster id. Like
 * Kafka's own Uuid.randomUuid, never one starting with '-', which the
 * storage tool's argument parser would take for an option.
 */
function newClusterId(): string {
  for (;;) {
    const id = Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function brokerProperties(
  spec: { basePort: number; overrides: Record<string, string>; clientListeners?: { port: number; advertisedPort: number }[] | undefined; listeners?: ExtraListener[][] | undefined },
  nodeId: number,
  nodes: number,
  logDir: string,
): string {
  const port = (i: number) => spec.basePort + 2 * (i - 1);
  const voters = Array.from({ length: nodes }, (_, i) => `${i + 1}@127.0.0.1:${port(i + 1) + 1}`).join(',');
  const replication = String(Math.min(nodes, 3));
  const client = spec.clientListeners?.[nodeId - 1];
  const extra = [...(client ? [{ name: 'CLIENT', protocol: 'PLAINTEXT', port: client.port, advertisedPort: client.advertisedPort }] : []), ...(spec.listeners?.[nodeId - 1] ?? [])];
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(nodeId),
    'controller.quorum.voters': voters,
    listeners: [`PLAINTEXT://127.0.0.1:${port(nodeId)}`, `CONTROLLER://127.0.0.1:${port(nodeId) + 1}`, ...extra.map((l) => `${l.name}://127.0.0.1:${l.port}`)].join(','),
    'advertised.listeners': [`PLAINTEXT://127.0.0.1:${port(nodeId)}`, ...extra.map((l) => `${l.name}://127.0.0.1:${l.advertisedPort ?? l.port}`)].join(','),
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': ['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT', ...extra.map((l) => `${l.name}:${l.protocol}`)].join(','),
    'log.dirs': logDir,
    'num.partitions': '1',
    // Production-like: a producer must not create topics by accident.
    'auto.create.topics.enable': 'false',
    'offsets.topic.replication.factor': replication,
    'offsets.topic.num.partitions': '5',
    'transaction.state.log.replication.factor': replication,
    'transaction.state.log.min.isr': nodes > 1 ? '2' : '1',
    'transaction.state.log.num.partitions': '5',
    'default.replication.factor': replication,
    'min.insync.replicas': '1',
    'group.initial.rebalance.delay.ms': '0',
    ...spec.overrides,
  };
  return Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

function java(libsDir: string, mainClass: string, args: string[], heap = '512m'): string[] {
  return [`-Xms${heap}`, `-Xmx${heap}`, '-XX:+UseG1GC', '-Djava.awt.headless=true', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', path.join(libsDir, '*'), mainClass, ...args];
}

/**
 * Starts the cluster (or returns the running one), resolving once Metadata
 * lists every broker. On failure every JVM it started is stopped and the
 * error carries the tail of the broker logs.
 */
export async function startCluster(spec: ClusterSpec = {}): Promise<ClusterState> {
  const name = spec.name ?? 'single';
  const nodes = spec.nodes ?? (name === 'cluster' ? 3 : 1);
  const full = { name, basePort: spec.basePort ?? (name === 'cluster' ? 19092 : 9092), overrides: spec.overrides ?? {}, clientListeners: spec.clientListeners, listeners: spec.listeners };
  if (full.basePort + 2 * nodes > 32768) throw new Error(`kafka: basePort ${full.basePort} is in the ephemeral port range; use one below ${32768 - 2 * nodes}`);
  for (const l of [...(spec.clientListeners ?? []), ...(spec.listeners ?? []).flat()]) {
    if (Math.max(l.port, l.advertisedPort ?? 0) >= 32768) throw new Error(`kafka: listener ports ${l.port}/${l.advertisedPort} must be below 32768`);
  }
  const version = spec.version ?? kafkaVersion();
  const running = readState(name);
  if (running && running.nodes.every((n) => isAlive(n.pid))) {
    if (running.version === version) return running;
    await stopCluster(name);
  } else if (running) {
    await stopCluster(name);
  }

  const { libsDir } = provisionKafka(version);
  const dir = runDir(name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const clusterId = newClusterId();
  const configs = Array.from({ length: nodes }, (_, i) => {
    const nodeId = i + 1;
    const logDir = path.join(dir, `node-${nodeId}`, 'data');
    const config = path.join(dir, `node-${nodeId}`, 'server.properties');
    mkdirSync(path.dirname(config), { recursive: true });
    writeFileSync(config, brokerProperties(full, nodeId, nodes, logDir));
    return { nodeId, logDir, config, port: full.basePort + 2 * i, logFile: path.join(dir, `node-${nodeId}`, 'broker.log') };
  });

  for (const c of configs) {
    const res = spawnSync('java', java(libsDir, 'kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', c.config, ...(spec.formatArgs ?? [])], '256m'), { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`kafka: formatting storage of node ${c.nodeId} failed:\n${res.stdout}${res.stderr}`);
  }

  const started = performance.now();
  const state: ClusterState = {
    name,
    version,
    libsDir,
    bootstrap: configs.map((c) => `127.0.0.1:${c.port}`).join(','),
    nodes: [],
    startedAt: new Date().toISOString(),
    startSeconds: 0,
    ownerPid: spec.ownerPid ?? null,
  };
  const heap = nodes > 1 ? '512m' : '1g';
  for (const c of configs) {
    const node = { nodeId: c.nodeId, pid: -1, port: c.port, logDir: c.logDir, logFile: c.logFile, config: c.config, heap };
    spawnNode(state, node);
    state.nodes.push(node);
  }
  writeFileSync(statePath(name), JSON.stringify(state, null, 2));

  try {
    await waitForBrokers(state, 120_000);
  } catch (err) {
    const logs = state.nodes.map((n) => `--- ${n.logFile}\n${tail(n.logFile, 30)}`).join('\n');
    await stopCluster(name);
    throw new Error(`kafka: ${(err as Error).message}\n${logs}`);
  }
  state.startSeconds = (performance.now() - started) / 1000;
  writeFileSync(statePath(name), JSON.stringify(state, null, 2));
  return state;
}

/** Starts one node's JVM (first start or restart), detached in its own process group. */
function spawnNode(state: ClusterState, node: NodeState): void {
  if (!existsSync(node.config)) throw new Error(`kafka: ${node.config} is gone: the cluster ${state.name} was stopped`);
  const out = openSync(node.logFile, 'a');
  const child = spawn('java', java(state.libsDir, 'kafka.Kafka', [node.config], node.heap), { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  if (child.pid === undefined) throw new Error('kafka: could not start java');
  node.pid = child.pid;
  if (state.ownerPid !== null) watchOwner(state.ownerPid, child.pid);
}

/** Starts a stopped node again with its data, and waits until it serves (see restartNodes). */
export async function restartNode(state: ClusterState, nodeId: number): Promise<void> {
  await restartNodes(state, [nodeId]);
}

/**
 * Starts stopped nodes again with their data, all before waiting, and waits
 * until the cluster lists every broker and each of these answers Metadata
 * on its own port. The first alone is not enough after a crash: the cluster
 * keeps listing a killed broker until its session times out.
 */
export async function restartNodes(state: ClusterState, nodeIds: number[]): Promise<void> {
  const nodes = nodeIds.map((id) => {
    const node = state.nodes.find((n) => n.nodeId === id);
    if (!node) throw new Error(`kafka: no node ${id} in ${state.name}`);
    return node;
  });
  const stopped = nodes.filter((n) => !isAlive(n.pid));
  if (stopped.length === 0) return;
  for (const node of stopped) spawnNode(state, node);
  writeFileSync(statePath(state.name), JSON.stringify(state, null, 2));
  await waitForBrokers(state, 120_000);
  await Promise.all(stopped.map((node) => waitServing(state, node, 120_000)));
}

/** Polls Metadata on the node's own port until it lists the node itself. */
async function waitServing(state: ClusterState, node: NodeState, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not listed in its own Metadata yet';
  while (Date.now() < deadline) {
    if (!isAlive(node.pid)) throw new Error(`kafka: node ${node.nodeId} of ${state.name} exited during start-up`);
    const client = new Cluster({ bootstrapServers: `127.0.0.1:${node.port}`, connectTimeoutMs: 1000, requestTimeoutMs: 3000 });
    try {
      const md = await client.refreshMetadata([]);
      if (md.brokers.has(node.nodeId)) return;
    } catch (err) {
      last = (err as Error).message;
    } finally {
      await client.close();
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`kafka: node ${node.nodeId} of ${state.name} did not answer within ${timeoutMs} ms: ${last}`);
}

/** Polls Metadata until it lists every broker (and the JVMs are still alive). */
async function waitForBrokers(state: ClusterState, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const dead = state.nodes.find((n) => !isAlive(n.pid));
    if (dead) throw new Error(`broker node ${dead.nodeId} exited during start-up`);
    const client = new Cluster({ bootstrapServers: state.bootstrap, connectTimeoutMs: 1000, requestTimeoutMs: 5000 });
    try {
      const md = await client.refreshMetadata([]);
      if (md.brokers.size === state.nodes.length) return;
      last = `${md.brokers.size} of ${state.nodes.length} brokers registered`;
    } catch (err) {
      last = (err as Error).message;
    } finally {
      await client.close();
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`brokers did not answer Metadata within ${timeoutMs} ms (last: ${last})`);
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** SIGKILL to the node's process group: no controlled shutdown, no leadership handed over. */
export async function killNode(node: NodeState): Promise<void> {
  try {
    process.kill(-node.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  while (isAlive(node.pid)) await new Promise((r) => setTimeout(r, 50));
}

/** Stops one node: SIGTERM to its process group, SIGKILL after the grace period. */
export async function stopNode(node: NodeState, graceMs = 20_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-node.pid, sig);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(node.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(node.pid)) {
    signal('SIGKILL');
    while (isAlive(node.pid)) await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops every JVM of the named cluster and removes its data. */
export async function stopCluster(name = 'single'): Promise<boolean> {
  const state = readState(name);
  if (!state) return false;
  await Promise.all(state.nodes.map((n) => stopNode(n)));
  rmSync(runDir(name), { recursive: true, force: true });
  return true;
}

/**
 * A separate process that stops a JVM (its process group) when `ownerPid`
 * exits, however it exits (test failure, Ctrl-C, kill), and ends itself
 * when the JVM is gone.
 */
function watchOwner(ownerPid: number, pid: number): void {
  const code = `
    const [owner, pid] = process.argv.slice(1).map(Number);
    const alive = (p) => { try { process.kill(p, 0); return true; } catch { return false; } };
    const kill = (sig) => { try { process.kill(-pid, sig); } catch {} };
    const timer = setInterval(() => {
      if (!alive(pid)) process.exit(0);
      if (alive(owner)) return;
      clearInterval(timer);
      kill('SIGTERM');
      setTimeout(() => { kill('SIGKILL'); process.exit(0); }, 15000);
    }, 500);`;
  const child = spawn(process.execPath, ['-e', code, String(ownerPid), String(pid)], { detached: true, stdio: 'ignore' });
  child.unref();
}
