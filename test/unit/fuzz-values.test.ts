// A seeded sample of the value fuzzer (npm run fuzz runs it whole, in CI):
// recorded answers with mutated values through the answer checks, and
// producers on the fake cluster whose answers are mutated; from another seed
// than the fuzzer's default, so the two add up.

import { describe, expect, it } from 'vitest';
import { loadFixtures } from '../../scripts/fuzz/fixtures.js';
import { Rng } from '../../scripts/fuzz/random.js';
import { mutateValues, TOLERATED, VALUE_MUTATIONS } from '../../scripts/fuzz/value-mutators.js';
import { emptyValueReport, runCheckCase, runCoordinatorCase, runProducerCase } from '../../scripts/fuzz/values.js';
import { FakeCluster } from '../support/fake-cluster.js';

const SEED = 11;
const fixtures = loadFixtures();

describe(`value fuzz sample, seed ${SEED}`, () => {
  it('a mutation changes a copy: the answer handed in is left as it was', () => {
    const answer = new FakeCluster([{ name: 't', partitions: 3 }]).metadataResponse(['t']);
    const before = JSON.stringify(answer);
    const rng = new Rng(SEED);
    for (let i = 0; i < 50; i++) expect(mutateValues('Metadata', answer, rng)?.answer).not.toEqual(answer);
    expect(JSON.stringify(answer)).toBe(before);
  });

  it('3,000 recorded answers with a mutated value: each is refused by its check, naming the API and a field', () => {
    const report = emptyValueReport();
    for (let i = 0; i < 3000; i++) runCheckCase(fixtures, SEED, i, report);
    expect(report.failures).toEqual([]);
    // Every kind was tried, and every one the producer must not take was refused every time.
    expect(Object.keys(report.byKind).sort()).toEqual([...VALUE_MUTATIONS].sort());
    for (const [kind, t] of Object.entries(report.byKind)) {
      if (TOLERATED.has(kind as never)) expect(t.refused, kind).toBe(0);
      else expect(t.refused, kind).toBe(t.cases);
    }
  });

  it('20 producers and 5 coordinator lookups fed mutated answers: every send and request settles once, typed, within its bound', async () => {
    const report = emptyValueReport();
    for (let i = 0; i < 20; i++) await runProducerCase(SEED, i, report);
    for (let i = 0; i < 5; i++) await runCoordinatorCase(fixtures, SEED, i, report);
    expect(report.failures).toEqual([]);
    expect(report.sends).toBeGreaterThan(20);
    // The mutations reached the producers: Metadata, Produce and InitProducerId answers were all changed.
    const applied = Object.keys(report.byKind);
    for (const prefix of ['partition-|topic-|leader-|broker-|replica-', 'produce-', 'producer-', 'coordinator-']) {
      expect(applied.some((k) => new RegExp(`^(${prefix})`).test(k)), prefix).toBe(true);
    }
  }, 60_000);
});
