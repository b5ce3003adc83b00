// How a real response is made hostile. Byte-level kinds know nothing of the
// schema (flipped bits, overwritten bytes, truncation, trailing garbage, moved
// ranges, random bytes); field-level kinds aim at the integers the decoder
// read (trace.ts): a length or count made huge or negative, a varint that
// never ends or overflows 32 bits, a value at its type's extremes. One kind
// decodes the untouched bytes as another version of the same API, and one
// stacks a field-level and a byte-level mutation.

import { Writer } from '../../src/protocol/writer.js';
import type { ResponseFixture } from './fixtures.js';
import type { Rng } from './random.js';
import type { IntegerField, IntegerKind } from './trace.js';

export const MUTATIONS = [
  'bit-flip',
  'byte-overwrite',
  'truncate',
  'extend',
  'splice',
  'random-bytes',
  'huge-length',
  'negative-count',
  'varint-overflow',
  'extreme-value',
  'version-swap',
  'stacked',
] as const;

export type Mutation = (typeof MUTATIONS)[number];

export interface Subject {
  fixture: ResponseFixture;
  /** The frame's integers, from trace.ts. */
  fields: readonly IntegerField[];
}

/** What the decoder is handed: bytes, and the version to read them as. */
export interface Mutant {
  frame: Buffer;
  version: number;
}

/** Bytes after the correlation id: mutating the id itself tells a decoder nothing. */
const BODY = 4;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

type Edit = (frame: Buffer, s: Subject, rng: Rng) => Buffer;

function position(frame: Buffer, rng: Rng): number {
  return frame.length > BODY ? rng.between(BODY, frame.length - 1) : rng.below(Math.max(1, frame.length));
}

const bitFlip: Edit = (frame, _s, rng) => {
  const out = Buffer.from(frame);
  if (out.length === 0) return out;
  for (let n = rng.between(1, 4); n > 0; n--) {
    const at = position(out, rng);
    out[at] = (out[at] as number) ^ (1 << rng.below(8));
  }
  return out;
};

const byteOverwrite: Edit = (frame, _s, rng) => {
  const out = Buffer.from(frame);
  if (out.length === 0) return out;
  for (let n = rng.between(1, 8); n > 0; n--) out[position(out, rng)] = rng.pick([0x00, 0xff, 0x7f, 0x80, 0x01, rng.below(256)]);
  return out;
};

const truncate: Edit = (frame, _s, rng) => frame.subarray(0, rng.below(frame.length));

const extend: Edit = (frame, _s, rng) => Buffer.concat([frame, rng.bytes(rng.between(1, 64))]);

/** Deletes, repeats or moves a range of the body. */
const splice: Edit = (frame, _s, rng) => {
  if (frame.length <= BODY) return frame;
  const a = rng.between(BODY, frame.length);
  const b = rng.between(a, Math.min(frame.length, a + 64));
  const range = frame.subarray(a, b);
  const rest = Buffer.concat([frame.subarray(0, a), frame.subarray(b)]);
  const how = rng.below(3);
  if (how === 0) return rest;
  const at = how === 1 ? a : rng.between(BODY, rest.length);
  return Buffer.concat([rest.subarray(0, at), range, how === 1 ? range : Buffer.alloc(0), rest.subarray(at)]);
};

const randomBytes: Edit = (frame, _s, rng) => Buffer.concat([frame.subarray(0, BODY), rng.bytes(rng.below(2 * frame.length + 1))]);

function encode(kind: IntegerKind, v: number | bigint): Buffer {
  const w = new Writer(16);
  if (kind === 'int64') w.int64(BigInt(v));
  else if (kind === 'uvarint') w.uvarint(Number(v));
  else w[kind](Number(v));
  return w.toBuffer();
}

function replace(frame: Buffer, f: IntegerField, bytes: Buffer): Buffer {
  return Buffer.concat([frame.subarray(0, f.start), bytes, frame.subarray(f.end)]);
}

/** A field of the role asked for; any field when the frame has none of it (e.g. a body of plain values). */
function field(s: Subject, rng: Rng, role: IntegerField['role']): IntegerField | null {
  const fit = s.fields.filter((f) => f.role === role);
  const from = fit.length > 0 ? fit : s.fields;
  return from.length > 0 ? rng.pick(from) : null;
}

/** A length or count that promises far more than the frame holds. */
const hugeLength: Edit = (frame, s, rng) => {
  const f = field(s, rng, 'length');
  if (!f) return bitFlip(frame, s, rng);
  const huge: Record<IntegerKind, () => number | bigint> = {
    int8: () => 127,
    int16: () => rng.pick([0x7fff, rng.between(0x100, 0x7fff)]),
    int32: () => rng.pick([INT32_MAX, rng.between(0x10000, INT32_MAX)]),
    int64: () => 2n ** 63n - 1n,
    uvarint: () => rng.pick([0xffffffff, 0x80000000, rng.between(0x10000, 0xffffffff)]),
  };
  return replace(frame, f, encode(f.kind, huge[f.kind]()));
};

/** A length or count below zero: null where null is not allowed, or a count that must not be looped over. */
const negativeCount: Edit = (frame, s, rng) => {
  const f = field(s, rng, 'length');
  if (!f) return bitFlip(frame, s, rng);
  const negative: Record<IntegerKind, () => number | bigint> = {
    int8: () => -1,
    int16: () => rng.pick([-1, -2, -32768, -rng.between(1, 32768)]),
    int32: () => rng.pick([-1, -2, INT32_MIN, -rng.between(1, 2 ** 31)]),
    int64: () => -1n,
    // A compact length is N + 1: 0 is null, "minus one".
    uvarint: () => 0,
  };
  return replace(frame, f, encode(f.kind, negative[f.kind]()));
};

/** A varint with more than 32 bits, more than 5 bytes, or no last byte before the frame ends. */
const varintOverflow: Edit = (frame, s, rng) => {
  const varints = s.fields.filter((x) => x.kind === 'uvarint');
  const f = varints.length > 0 ? rng.pick(varints) : field(s, rng, 'length');
  if (!f) return bitFlip(frame, s, rng);
  const how = rng.below(3);
  if (how === 2) return Buffer.concat([frame.subarray(0, f.start), Buffer.alloc(rng.between(1, 12), 0x80)]);
  const bytes = how === 0 ? Buffer.from([0xff, 0xff, 0xff, 0xff, rng.between(0x10, 0x7f)]) : Buffer.concat([Buffer.alloc(rng.between(5, 11), 0x80), Buffer.from([1])]);
  return replace(frame, f, bytes);
};

/** A plain value at the edge of its type: error codes, partitions, ids, counts the decoder does not size by. */
const extremeValue: Edit = (frame, s, rng) => {
  const f = field(s, rng, 'value');
  if (!f) return bitFlip(frame, s, rng);
  const extremes: Record<IntegerKind, readonly (number | bigint)[]> = {
    int8: [-128, 127, -1, 0, 2],
    int16: [-32768, 32767, -1, 0],
    int32: [INT32_MIN, INT32_MAX, -1, 0],
    int64: [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n, -1n],
    uvarint: [0xffffffff, 0],
  };
  return replace(frame, f, encode(f.kind, rng.pick(extremes[f.kind])));
};

const FIELD_EDITS: readonly Edit[] = [hugeLength, negativeCount, varintOverflow, extremeValue];
const BYTE_EDITS: readonly Edit[] = [bitFlip, byteOverwrite, truncate, extend, splice];

const EDITS: Record<Exclude<Mutation, 'version-swap'>, Edit> = {
  'bit-flip': bitFlip,
  'byte-overwrite': byteOverwrite,
  truncate,
  extend,
  splice,
  'random-bytes': randomBytes,
  'huge-length': hugeLength,
  'negative-count': negativeCount,
  'varint-overflow': varintOverflow,
  'extreme-value': extremeValue,
  // Field positions hold only before the bytes move, so the field edit goes first.
  stacked: (frame, s, rng) => rng.pick(BYTE_EDITS)(rng.pick(FIELD_EDITS)(frame, s, rng), s, rng),
};

export function mutate(kind: Mutation, s: Subject, rng: Rng): Mutant {
  const { api, version, frame } = s.fixture;
  if (kind === 'version-swap') {
    const others: number[] = [];
    for (let v = api.minVersion; v <= api.maxVersion; v++) if (v !== version) others.push(v);
    return { frame, version: others.length > 0 ? rng.pick(others) : version };
  }
  return { frame: EDITS[kind](frame, s, rng), version };
}
