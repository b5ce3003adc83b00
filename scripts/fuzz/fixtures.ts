// The real responses the fuzzer starts from: test/fixtures/responses.json,
// written by record-responses.ts (npm run fuzz:record) from a real broker.
// Each holds the request that was sent (Buffers as {"$hex"}) and the response
// frame as it came, without its size prefix.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Api } from '../../src/protocol/api.js';
import { AddOffsetsToTxn } from '../../src/protocol/apis/add-offsets-to-txn.js';
import { AddPartitionsToTxn } from '../../src/protocol/apis/add-partitions-to-txn.js';
import { ApiVersions } from '../../src/protocol/apis/api-versions.js';
import { EndTxn } from '../../src/protocol/apis/end-txn.js';
import { FindCoordinator } from '../../src/protocol/apis/find-coordinator.js';
import { InitProducerId } from '../../src/protocol/apis/init-producer-id.js';
import { Metadata } from '../../src/protocol/apis/metadata.js';
import { Produce } from '../../src/protocol/apis/produce.js';
import { SaslAuthenticate, SaslHandshake } from '../../src/protocol/apis/sasl.js';
import { TxnOffsetCommit } from '../../src/protocol/apis/txn-offset-commit.js';

export type AnyApi = Api<unknown, unknown>;

/** Every API the producer sends, so every response decoder it runs. */
export const PRODUCER_APIS: readonly AnyApi[] = [
  ApiVersions,
  Metadata,
  Produce,
  InitProducerId,
  FindCoordinator,
  AddPartitionsToTxn,
  AddOffsetsToTxn,
  EndTxn,
  TxnOffsetCommit,
  SaslHandshake,
  SaslAuthenticate,
] as AnyApi[];

export interface ResponseFixture {
  api: AnyApi;
  version: number;
  /** The request body that was sent. */
  request: Record<string, unknown>;
  /** The response without its size prefix: correlation id, header, body. */
  frame: Buffer;
  /** What is special about it, if anything. */
  note?: string;
}

export interface FixtureFile {
  about: string;
  kafkaVersion: string;
  responses: { api: string; version: number; request: unknown; frame: string; note?: string }[];
}

/** test/fixtures/responses.json of the checkout this file is in, whether it runs from source or from dist/. */
export function fixturesPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'test'))) return path.join(dir, 'test', 'fixtures', 'responses.json');
    dir = path.dirname(dir);
  }
  throw new Error('not in a checkout of kafka-producer-ts: no package.json beside a test folder above this file');
}

/** JSON.stringify's replacer: Buffers (already turned into {type, data} by their toJSON) as hex. */
export function bufferAsHex(_key: string, value: unknown): unknown {
  const v = value as { type?: unknown; data?: unknown } | null;
  if (v && v.type === 'Buffer' && Array.isArray(v.data)) return { $hex: Buffer.from(v.data as number[]).toString('hex') };
  return value;
}

function hexAsBuffer(_key: string, value: unknown): unknown {
  const v = value as { $hex?: unknown } | null;
  return v && typeof v.$hex === 'string' ? Buffer.from(v.$hex, 'hex') : value;
}

export function loadFixtures(file = fixturesPath()): ResponseFixture[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8'), hexAsBuffer) as FixtureFile;
  return parsed.responses.map((r) => {
    const api = PRODUCER_APIS.find((a) => a.name === r.api);
    if (!api) throw new Error(`${file}: unknown API ${r.api}`);
    const fixture: ResponseFixture = { api, version: r.version, request: r.request as Record<string, unknown>, frame: Buffer.from(r.frame, 'hex') };
    if (r.note !== undefined) fixture.note = r.note;
    return fixture;
  });
}

/** "Produce v11": how the fuzzer names a decoder. */
export function decoderName(api: AnyApi, version: number): string {
  return `${api.name} v${version}`;
}
