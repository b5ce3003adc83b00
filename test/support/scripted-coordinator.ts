// The fake cluster (test/support/fake-cluster.ts) with a transaction and
// group coordinator answered from a script, for producer-level transaction
// tests: Produce still goes to the fake partitions' logs. Each coordinator
// API answers with the next scripted handler (the last one repeats), or by
// default as a healthy coordinator does; a handler may lose the answer
// ('lost': the request times out) and an API's answers may be held back on
// the test's clock. This is a script, not a model of Kafka's coordinator.

import type { Api } from '../../src/protocol/api.js';
import { FakeCluster, type FakeConnection, type FakeTopic } from './fake-cluster.js';

export type Body = Record<string, unknown>;
/** The answer to one coordinator request, or 'lost' (never answered). */
export type CoordinatorHandler = (body: Body) => unknown;

const TXN_APIS: ReadonlySet<string> = new Set(['FindCoordinator', 'InitProducerId', 'AddPartitionsToTxn', 'AddOffsetsToTxn', 'TxnOffsetCommit', 'EndTxn']);

export const PRODUCER_ID = 4000;

/** A healthy coordinator's answer per API. */
const HEALTHY: Readonly<Record<string, CoordinatorHandler>> = {
  FindCoordinator: (body) => ({ throttleTimeMs: 0, coordinators: [{ key: body.key, nodeId: 1, host: '127.0.0.1', port: 9001, errorCode: 0, errorMessage: null }] }),
  InitProducerId: () => ({ throttleTimeMs: 0, errorCode: 0, producerId: PRODUCER_ID, producerEpoch: 0, ongoingTxnProducerId: -1, ongoingTxnProducerEpoch: -1 }),
  AddPartitionsToTxn: (body) => addPartitionsAnswer(body, 0),
  AddOffsetsToTxn: () => ({ throttleTimeMs: 0, errorCode: 0 }),
  TxnOffsetCommit: (body) => ({
    throttleTimeMs: 0,
    topics: (body.topics as { name: string; partitions: { partitionIndex: number }[] }[]).map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })) })),
  }),
  EndTxn: () => endTxnAnswer(0),
};

export function addPartitionsAnswer(body: Body, errorCode: number): unknown {
  return {
    throttleTimeMs: 0,
    resultsByTopicV3AndBelow: (body.v3AndBelowTopics as { name: string; partitions: number[] }[]).map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: errorCode })),
    })),
  };
}

export function endTxnAnswer(errorCode: number): unknown {
  return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
}

export class ScriptedCoordinatorCluster extends FakeCluster {
  /** Every coordinator request, in order, with whether it was answered and how. */
  readonly coordinatorCalls: { api: string; body: Body; answer: unknown }[] = [];
  readonly #script = new Map<string, CoordinatorHandler[]>();
  /** Answers of these APIs come this many ms (of the cluster's clock) late. */
  readonly delays = new Map<string, number>();

  constructor(topics: FakeTopic[]) {
    super(topics);
    // The script, not the fake cluster's coordinator model, knows the transaction: Produce is not checked against the model.
    this.verifiesTransactions = false;
  }

  /** The next answers of `api`, in order; the last one repeats. */
  script(api: string, ...handlers: CoordinatorHandler[]): void {
    this.#script.set(api, handlers);
  }

  /** The EndTxn requests' `committed` flags, for those answered without error. */
  get endedTxns(): boolean[] {
    return this.coordinatorCalls.filter((c) => c.api === 'EndTxn' && c.answer !== 'lost' && (c.answer as { errorCode: number }).errorCode === 0).map((c) => c.body.committed as boolean);
  }

  calls(api: string): Body[] {
    return this.coordinatorCalls.filter((c) => c.api === api).map((c) => c.body);
  }

  override handle(conn: FakeConnection, api: Api<unknown, unknown>, body: unknown, answer: (res: unknown) => void): void {
    const b = body as Body;
    // Without a transactional id InitProducerId is the idempotent producer's: the fake cluster answers it.
    if (!TXN_APIS.has(api.name) || (api.name === 'InitProducerId' && b.transactionalId === null)) {
      super.handle(conn, api, body, answer);
      return;
    }
    const handlers = this.#script.get(api.name) ?? [];
    const handler = (handlers.length > 1 ? handlers.shift() : handlers[0]) ?? HEALTHY[api.name];
    if (!handler) throw new Error(`no answer for ${api.name}`);
    const res = handler(b);
    this.coordinatorCalls.push({ api: api.name, body: b, answer: res });
    if (res === 'lost') return;
    const delay = this.delays.get(api.name);
    if (delay === undefined) setImmediate(() => answer(res));
    else this.clock.setTimeout(() => answer(res), delay);
  }
}
