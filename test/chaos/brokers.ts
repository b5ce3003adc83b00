// Phase "brokers" (issue 9, point 1): broker failures on the 3-broker
// cluster while records stream: the leader of the busiest partition
// SIGKILLed and restarted five times, then shut down cleanly (controlled
// shutdown: it hands its leaderships over first) twice, a rolling restart
// of all three, and the whole cluster SIGKILLed, down for 30 s and back.
// Each step waits until every replica is in sync again, so that
// min.insync.replicas=2 holds when the next broker goes.

import { killNode, stopNode } from '../../scripts/kafka/broker.js';
import type { FaultContext } from './phase.js';
import { quiet, type Step } from './timeline.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** How long a SIGKILLed leader stays down before its restart. */
const KILLED_MS = 3_000;
const CLUSTER_DOWN_MS = 30_000;

export function brokerSteps({ cluster, topic, load, log }: FaultContext): Step[] {
  const busiestLeader = async () => {
    const partition = load.busiest();
    return { partition, leader: await cluster.leaderOf(topic, partition) };
  };
  const back = async (nodeIds: number[]) => {
    await cluster.restart(nodeIds);
    await cluster.waitInSync(topic);
  };
  /** The busiest partition's leader goes down (`how`), stays down `downMs`, and comes back. */
  const leaderDown = (kind: string, how: 'SIGKILL' | 'SIGTERM', downMs: number): Step => ({
    kind,
    estimateMs: 30_000,
    run: async () => {
      const { partition, leader } = await busiestLeader();
      await (how === 'SIGKILL' ? killNode : stopNode)(cluster.node(leader));
      log(`${how} to node ${leader}, leader of partition ${partition}`);
      await sleep(downMs);
      await back([leader]);
    },
  });
  const killLeader = leaderDown('SIGKILL of the busiest partition\'s leader, then restart', 'SIGKILL', KILLED_MS);
  // SIGTERM: a controlled shutdown, which hands the node's leaderships over first.
  const stopLeader = leaderDown('clean shutdown of the busiest partition\'s leader, then restart', 'SIGTERM', 0);
  const rolling = cluster.state.nodes.map(
    (node): Step => ({
      kind: 'rolling restart, one node',
      estimateMs: 35_000,
      run: async () => {
        await stopNode(node);
        log(`rolling restart: stopped node ${node.nodeId} (SIGTERM)`);
        await back([node.nodeId]);
      },
    }),
  );
  const clusterDown: Step = {
    kind: 'whole cluster SIGKILLed, down 30 s, restarted',
    estimateMs: CLUSTER_DOWN_MS + 40_000,
    run: async () => {
      await Promise.all(cluster.state.nodes.map((n) => killNode(n)));
      log(`SIGKILLed every node; down for ${CLUSTER_DOWN_MS / 1000} s`);
      await sleep(CLUSTER_DOWN_MS);
      await back(cluster.state.nodes.map((n) => n.nodeId));
    },
  };
  return [quiet(5_000), ...Array.from({ length: 5 }, () => killLeader), stopLeader, stopLeader, ...rolling, clusterDown, quiet(5_000)];
}
