// The group coordinator's part in transactions, as Kafka's GroupCoordinator
// (GroupMetadata's pendingTransactionalOffsetCommits) keeps it: offsets a
// TxnOffsetCommit stores wait per producer id, invisible, until the
// transaction coordinator writes the transaction's marker to the group's
// offsets partition: a commit makes them the group's committed offsets, an
// abort drops them. `history` records every offset that became committed.

export interface CommittedOffset {
  group: string;
  topic: string;
  partition: number;
  offset: number;
}

export class FakeGroupCoordinator {
  /** group → producer id → "topic-p" → pending offset. */
  readonly #pending = new Map<string, Map<number, Map<string, CommittedOffset>>>();
  /** group → "topic-p" → committed offset. */
  readonly committed = new Map<string, Map<string, number>>();
  /** Every offset that became committed, in order. */
  readonly history: CommittedOffset[] = [];

  /** TxnOffsetCommit, once the coordinator accepted it: the offsets wait for the transaction's end. */
  stage(group: string, producerId: number, offsets: { topic: string; partition: number; offset: number }[]): void {
    const byProducer = this.#pending.get(group) ?? new Map<number, Map<string, CommittedOffset>>();
    this.#pending.set(group, byProducer);
    const pending = byProducer.get(producerId) ?? new Map<string, CommittedOffset>();
    byProducer.set(producerId, pending);
    for (const o of offsets) pending.set(`${o.topic}-${o.partition}`, { group, ...o });
  }

  /** The marker reached the group's offsets partition (completePendingTxnOffsetCommit). */
  complete(group: string, producerId: number, commit: boolean): void {
    const pending = this.#pending.get(group)?.get(producerId);
    this.#pending.get(group)?.delete(producerId);
    if (!pending || !commit) return;
    const committed = this.committed.get(group) ?? new Map<string, number>();
    this.committed.set(group, committed);
    for (const [tp, o] of pending) {
      committed.set(tp, o.offset);
      this.history.push(o);
    }
  }

  /** Offsets still waiting for a marker (a transaction left open). */
  pendingFor(group: string): number {
    let n = 0;
    for (const m of this.#pending.get(group)?.values() ?? []) n += m.size;
    return n;
  }
}
