// A seeded sample of `npm run fuzz` (which CI runs whole: 1,000,000 decoder
// cases and 10,000 connections), from another seed than its default so the
// two add up: every response decoder and the connection's framing meet
// mutated real responses and must answer with a typed error, in bounds.

import { describe, expect, it } from 'vitest';
import { decodeResponse } from '../../src/protocol/api.js';
import { ApiVersions } from '../../src/protocol/apis/api-versions.js';
import { DecoderFuzz } from '../../scripts/fuzz/decoders.js';
import { loadFixtures, PRODUCER_APIS } from '../../scripts/fuzz/fixtures.js';
import { FRAMING_KINDS, FramingFuzz } from '../../scripts/fuzz/framing.js';
import { MUTATIONS } from '../../scripts/fuzz/mutators.js';

const SEED = 7;
const fixtures = loadFixtures();

describe('the recorded responses (test/fixtures/responses.json)', () => {
  it('hold every API the producer sends at every version both it and the recording broker speak, and decode', () => {
    const clean = fixtures.find((f) => f.api === ApiVersions && f.version === ApiVersions.maxVersion && f.note === undefined);
    if (!clean) throw new Error(`no ApiVersions v${ApiVersions.maxVersion} recording`);
    const broker = decodeResponse(ApiVersions, clean.version, clean.frame).apiKeys;
    for (const api of PRODUCER_APIS) {
      const theirs = broker.find((k) => k.apiKey === api.key);
      const expected: number[] = [];
      for (let v = Math.max(api.minVersion, theirs?.minVersion ?? Infinity); v <= Math.min(api.maxVersion, theirs?.maxVersion ?? -1); v++) expected.push(v);
      const recorded = fixtures.filter((f) => f.api === api && f.note === undefined).map((f) => f.version);
      expect(recorded, api.name).toEqual(expected);
    }
    for (const f of fixtures) expect(() => decodeResponse(f.api, f.version, f.frame), `${f.api.name} v${f.version}`).not.toThrow();
  });
});

describe(`fuzz sample, seed ${SEED}`, () => {
  it('5,000 mutated responses: each decodes or throws a MalformedResponseError, within the time and allocation bounds', () => {
    const report = new DecoderFuzz(fixtures, SEED).run(0, 5000);
    expect(report.failures).toEqual([]);
    expect(report.failureCount).toBe(0);
    expect(report.cases).toBe(5000);
    expect(Object.keys(report.byApi).sort()).toEqual(PRODUCER_APIS.map((a) => a.name).sort());
    expect(Object.keys(report.byMutation).sort()).toEqual([...MUTATIONS].sort());
  });

  it('130 connections through hostile streams: every request settles once, typed, and a failure closes the connection', async () => {
    const fuzz = await FramingFuzz.start(fixtures, SEED);
    try {
      const report = await fuzz.run(0, 10 * FRAMING_KINDS.length);
      expect(report.failures).toEqual([]);
      expect(report.failureCount).toBe(0);
      expect(Object.keys(report.byKind).sort()).toEqual([...FRAMING_KINDS].sort());
      // The harness sees both outcomes: answers come through a split stream, and hostile bytes fail requests.
      expect(report.byKind.split?.answered).toBeGreaterThan(0);
      expect(report.byKind.garbage?.failed).toBeGreaterThan(0);
    } finally {
      await fuzz.close();
    }
  });
});
