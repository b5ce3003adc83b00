// A seeded sample of `npm run fuzz` (which CI runs whole: 1,000,000 decoder
// cases and 10,000 connections), from another seed than its default so the
// two add up: every response decoder and the connection's framing meet
// mutated real responses and must answer with a typed error, in bounds. The
// recorded responses themselves must decode to what the broker meant.

import { describe, expect, it } from 'vitest';
import { decodeResponse } from '../../src/protocol/api.js';
import { ApiVersions } from '../../src/protocol/apis/api-versions.js';
import { DecoderFuzz } from '../../scripts/fuzz/decoders.js';
import { loadFixtures, PRODUCER_APIS, type ResponseFixture } from '../../scripts/fuzz/fixtures.js';
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
  });

  // What the recording broker meant, known from the requests and the recording (scripts/fuzz/record-responses.ts):
  // one Kafka 4.3.1 broker, node 1 at 127.0.0.1:9092, a topic of two partitions; each Produce version in turn
  // wrote two records to partitions 0 and 1 (so offsets grow by 2 a version) and one to partition 99, which does
  // not exist; the SASL requests came after the connection had authenticated.
  it.each(fixtures.map((f) => [`${f.api.name} v${f.version}${f.note ? ` (${f.note})` : ''}`, f] as const))('%s decodes to what the broker meant', (_name, f) => {
    expect(decodeResponse(f.api, f.version, f.frame)).toMatchObject(meant(f));
  });
});

const BROKER = { nodeId: 1, host: '127.0.0.1', port: 9092 };
const CLUSTER_ID = 'CAgufUllRtGt0p_eNddEPQ';

/** The parts of a fixture's response the broker's answer must decode to: what the request and the recording imply. */
function meant(f: ResponseFixture): Record<string, unknown> {
  const req = f.request as Record<string, any>;
  const v = f.version;
  const topicOf = (t: Record<string, unknown>) => (v >= 13 ? { topicId: t.topicId } : { name: t.name });
  switch (f.api.name) {
    case 'ApiVersions':
      if (f.note) return { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] };
      return {
        errorCode: 0,
        apiKeys: expect.arrayContaining([
          { apiKey: 0, minVersion: 0, maxVersion: 13 },
          expect.objectContaining({ apiKey: 3, maxVersion: 13 }),
          expect.objectContaining({ apiKey: 18, maxVersion: 4 }),
          expect.objectContaining({ apiKey: 22 }),
        ]),
      };
    case 'Metadata':
      return {
        brokers: [expect.objectContaining(BROKER)],
        controllerId: 1,
        ...(v >= 2 ? { clusterId: CLUSTER_ID } : {}),
        topics: [
          expect.objectContaining({
            errorCode: 0,
            name: req.topics[0].name,
            partitions: [0, 1].map((p) => expect.objectContaining({ errorCode: 0, partitionIndex: p, leaderId: 1, leaderEpoch: v >= 7 ? 0 : -1, replicaNodes: [1], isrNodes: [1] })),
          }),
        ],
      };
    case 'Produce': {
      const t = req.topicData[0];
      const written = { errorCode: 0, baseOffset: 2 * (v - 3), logAppendTimeMs: -1, logStartOffset: v >= 5 ? 0 : -1, recordErrors: [], errorMessage: null };
      return {
        responses: [
          {
            ...topicOf(t),
            partitionResponses: [
              { index: 0, ...written },
              { index: 1, ...written },
              { index: 99, errorCode: 3, baseOffset: -1 },
            ],
          },
        ],
      };
    }
    case 'FindCoordinator':
      return v >= 4 ? { coordinators: [{ key: req.coordinatorKeys[0], ...BROKER, errorCode: 0 }] } : { errorCode: 0, ...BROKER };
    case 'InitProducerId':
      // A new id each time, in recording order.
      return { errorCode: 0, producerId: 57 + v, producerEpoch: 0 };
    case 'AddPartitionsToTxn':
      return {
        resultsByTopicV3AndBelow: req.v3AndBelowTopics.map((t: { name: string; partitions: number[] }) => ({
          name: t.name,
          resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: 0 })),
        })),
      };
    case 'AddOffsetsToTxn':
      return { errorCode: 0 };
    case 'EndTxn':
      // From v5 (KIP-890) the coordinator answers with the producer's id and the epoch it bumped to.
      return v >= 5 ? { errorCode: 0, producerId: req.producerId, producerEpoch: req.producerEpoch + 1 } : { errorCode: 0 };
    case 'TxnOffsetCommit':
      return {
        topics: req.topics.map((t: { name: string; partitions: { partitionIndex: number }[] }) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })),
        })),
      };
    case 'SaslHandshake':
      return { errorCode: 34 };
    case 'SaslAuthenticate':
      return { errorCode: 34, errorMessage: 'SaslAuthenticate request received after successful authentication' };
    default:
      throw new Error(`no expectation for ${f.api.name}: add one`);
  }
}

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
