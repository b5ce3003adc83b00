// A Kafka cluster of a test's own whose clients reach each broker only
// through a TcpProxy (tcp-proxy.ts): brokers advertise the proxies' ports on
// a CLIENT listener (`clientListeners` in scripts/kafka/broker.ts), so every
// connection a client makes, after bootstrap too, goes through a proxy,
// while replication and the tools (kcat, the admin helper) stay on the
// direct PLAINTEXT listeners.

import { killNode, restartNodes, startCluster, stopCluster, type ClusterState, type NodeState } from '../../scripts/kafka/broker.js';
import { Cluster } from '../../src/network/cluster.js';
import { TcpProxy } from './tcp-proxy.js';

export interface ProxiedClusterSpec {
  /** Names the run directory (scripts/kafka/broker.ts). */
  name: string;
  nodes: number;
  version: string;
  /** Broker i's PLAINTEXT port is basePort + 2(i - 1), its controller's one more. */
  basePort: number;
  /** Node i's proxy listens on proxyPort + i - 1... */
  proxyPort: number;
  /** ...in front of its CLIENT listener on listenerPort + i - 1. */
  listenerPort: number;
  overrides?: Record<string, string>;
}

/** A partition as the cluster describes it. */
export interface PartitionState {
  partition: number;
  leader: number;
  isr: number[];
  replicas: number[];
}

export class ProxiedCluster {
  readonly state: ClusterState;
  readonly proxies: ReadonlyMap<number, TcpProxy>;

  private constructor(state: ClusterState, proxies: Map<number, TcpProxy>) {
    this.state = state;
    this.proxies = proxies;
  }

  /** The proxies first: brokers advertise their ports from the start. */
  static async start(spec: ProxiedClusterSpec): Promise<ProxiedCluster> {
    const proxies = new Map<number, TcpProxy>();
    try {
      for (let nodeId = 1; nodeId <= spec.nodes; nodeId++) {
        proxies.set(nodeId, await TcpProxy.start({ port: spec.proxyPort + nodeId - 1, upstreamPort: spec.listenerPort + nodeId - 1 }));
      }
      const state = await startCluster({
        name: spec.name,
        nodes: spec.nodes,
        basePort: spec.basePort,
        version: spec.version,
        ownerPid: process.pid,
        clientListeners: Array.from({ length: spec.nodes }, (_, i) => ({ port: spec.listenerPort + i, advertisedPort: spec.proxyPort + i })),
        ...(spec.overrides ? { overrides: spec.overrides } : {}),
      });
      return new ProxiedCluster(state, proxies);
    } catch (err) {
      for (const p of proxies.values()) await p.close();
      throw err;
    }
  }

  /** Bootstrap servers through the proxies, for the producer under test. */
  get bootstrap(): string {
    return [...this.proxies.values()].map((p) => p.address).join(',');
  }

  /** Bootstrap servers on the direct listeners, for the tools. */
  get direct(): string {
    return this.state.bootstrap;
  }

  proxyOf(nodeId: number): TcpProxy {
    const p = this.proxies.get(nodeId);
    if (!p) throw new Error(`no proxy for node ${nodeId}`);
    return p;
  }

  node(nodeId: number): NodeState {
    const n = this.state.nodes.find((x) => x.nodeId === nodeId);
    if (!n) throw new Error(`no node ${nodeId} in ${this.state.name}`);
    return n;
  }

  /** Starts nodes that are down again, together, and waits until each answers. */
  async restart(nodeIds: number[]): Promise<void> {
    await restartNodes(this.state, nodeIds);
  }

  /** The topic's partitions as a broker that answers describes them (direct listeners). */
  async partitions(topic: string): Promise<PartitionState[]> {
    const client = new Cluster({ bootstrapServers: this.direct, connectTimeoutMs: 2000, requestTimeoutMs: 5000 });
    try {
      const t = (await client.refreshMetadata([topic], false)).topic(topic);
      if (!t || t.errorCode !== 0) throw new Error(`no metadata for ${topic} (error ${t?.errorCode})`);
      return t.partitions.map((p) => ({ partition: p.partition, leader: p.leader, isr: [...p.isr], replicas: [...p.replicas] }));
    } finally {
      await client.close();
    }
  }

  async leaderOf(topic: string, partition: number): Promise<number> {
    const p = (await this.partitions(topic)).find((x) => x.partition === partition);
    if (!p || p.leader < 0) throw new Error(`${topic}-${partition} has no leader`);
    return p.leader;
  }

  /** Until every partition of the topic has a leader and all its replicas in sync. */
  async waitInSync(topic: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const lagging = (await this.partitions(topic)).filter((p) => p.leader < 0 || p.isr.length < p.replicas.length);
        if (lagging.length === 0) return;
        last = lagging.map((p) => `${p.partition}: leader ${p.leader}, isr [${p.isr.join(',')}]`).join('; ');
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${topic}: replicas not in sync after ${timeoutMs} ms (${last})`);
  }

  /** Stops the cluster (SIGKILL: its data goes too, a clean shutdown would only take longer) and the proxies. */
  async stop(): Promise<void> {
    await Promise.all(this.state.nodes.map((n) => killNode(n)));
    await stopCluster(this.state.name);
    for (const p of this.proxies.values()) await p.close();
  }
}
