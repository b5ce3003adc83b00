// Message schemas as data, in the shape of Kafka's own JSON schemas: each
// field names the versions it exists in, the versions it may be null in, and
// (for tagged fields) its tag. One interpreter encodes and decodes every API at
// every version, so adding a version is a change to one field's range.

import { ProtocolError } from './errors.js';
import type { Reader } from './reader.js';
import { Writer } from './writer.js';

export type Primitive =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint16'
  | 'float64'
  | 'bool'
  | 'string'
  | 'bytes'
  /** NULLABLE_BYTES holding record batches; encoded from a Uint8Array. */
  | 'records'
  | 'uuid';

export interface StructSpec {
  readonly kind: 'struct';
  readonly fields: readonly FieldSpec[];
}

export interface ArraySpec {
  readonly kind: 'array';
  readonly of: Primitive | StructSpec;
}

export type FieldType = Primitive | StructSpec | ArraySpec;

/** Inclusive version range; `max` is Infinity for "N+". */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly versions: VersionRange;
  readonly nullable: VersionRange | null;
  readonly tag: number | null;
  readonly taggedVersions: VersionRange | null;
  /** Used when encoding a field the caller left out, and when decoding a field absent at that version. */
  readonly default: unknown;
}

const NEVER: VersionRange = { min: 1, max: 0 };

/** Parses Kafka's version notation: "3+", "0-2", "5", "none". */
export function versions(spec: string): VersionRange {
  if (spec === 'none') return NEVER;
  const plus = /^(\d+)\+$/.exec(spec);
  if (plus) return { min: Number(plus[1]), max: Infinity };
  const range = /^(\d+)-(\d+)$/.exec(spec);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  if (/^\d+$/.test(spec)) return { min: Number(spec), max: Number(spec) };
  throw new ProtocolError(`bad version range "${spec}"`);
}

function within(r: VersionRange | null, v: number): boolean {
  return r !== null && v >= r.min && v <= r.max;
}

export interface FieldOptions {
  nullable?: string;
  tag?: number;
  /** Tagged versions; defaults to the field's versions when `tag` is set. */
  tagged?: string;
  default?: unknown;
}

export function field(name: string, type: FieldType, versionSpec: string, opts: FieldOptions = {}): FieldSpec {
  const tag = opts.tag ?? null;
  return {
    name,
    type,
    versions: versions(versionSpec),
    nullable: opts.nullable ? versions(opts.nullable) : null,
    tag,
    taggedVersions: tag === null ? null : versions(opts.tagged ?? versionSpec),
    default: opts.default,
  };
}

export function struct(...fields: FieldSpec[]): StructSpec {
  return { kind: 'struct', fields };
}

export function array(of: Primitive | StructSpec): ArraySpec {
  return { kind: 'array', of };
}

/** The fields of a struct present at one version, split into regular and tagged. */
interface Plan {
  readonly regular: readonly FieldSpec[];
  readonly tagged: readonly FieldSpec[];
}

const plans = new WeakMap<StructSpec, Map<number, Plan>>();

function planFor(s: StructSpec, version: number): Plan {
  let byVersion = plans.get(s);
  if (!byVersion) plans.set(s, (byVersion = new Map()));
  let plan = byVersion.get(version);
  if (!plan) {
    const present = s.fields.filter((f) => within(f.versions, version));
    plan = {
      regular: present.filter((f) => !within(f.taggedVersions, version)),
      tagged: present.filter((f) => within(f.taggedVersions, version)).sort((a, b) => (a.tag ?? 0) - (b.tag ?? 0)),
    };
    byVersion.set(version, plan);
  }
  return plan;
}

type Obj = Record<string, unknown>;

export function encodeStruct(w: Writer, s: StructSpec, value: Obj, version: number, flexible: boolean): void {
  const plan = planFor(s, version);
  for (const f of plan.regular) {
    encodeValue(w, f, valueOf(f, value), version, flexible);
  }
  if (!flexible) return;
  const present = plan.tagged.filter((f) => value[f.name] !== undefined && value[f.name] !== f.default);
  w.uvarint(present.length);
  for (const f of present) {
    const inner = new Writer(64);
    encodeValue(inner, f, value[f.name], version, flexible);
    w.uvarint(f.tag as number);
    w.uvarint(inner.length);
    for (const chunk of inner.chunks()) w.raw(chunk);
  }
}

function valueOf(f: FieldSpec, value: Obj): unknown {
  const v = value[f.name];
  if (v !== undefined) return v;
  if (f.default !== undefined) return f.default;
  throw new ProtocolError(`field "${f.name}" is required but missing`);
}

function encodeValue(w: Writer, f: FieldSpec, v: unknown, version: number, flexible: boolean): void {
  const nullable = within(f.nullable, version);
  if (v === null && !nullable) throw new ProtocolError(`field "${f.name}" may not be null at version ${version}`);
  const t = f.type;
  if (typeof t === 'string') return encodePrimitive(w, t, v, nullable, flexible, f.name);
  if (t.kind === 'struct') {
    if (v === null) {
      // Nullable structs are written with a -1/0 marker byte in Kafka's schemas.
      w.int8(-1);
      return;
    }
    if (nullable) w.int8(1);
    return encodeStruct(w, t, v as Obj, version, flexible);
  }
  if (v === null) {
    if (flexible) w.uvarint(0);
    else w.int32(-1);
    return;
  }
  if (!Array.isArray(v)) throw new ProtocolError(`field "${f.name}" must be an array`);
  if (flexible) w.uvarint(v.length + 1);
  else w.int32(v.length);
  const of = t.of;
  for (const item of v) {
    if (typeof of === 'string') encodePrimitive(w, of, item, false, flexible, f.name);
    else encodeStruct(w, of, item as Obj, version, flexible);
  }
}

function encodePrimitive(w: Writer, t: Primitive, v: unknown, nullable: boolean, flexible: boolean, name: string): void {
  switch (t) {
    case 'int8':
      w.int8(v as number);
      return;
    case 'int16':
      w.int16(v as number);
      return;
    case 'int32':
      w.int32(v as number);
      return;
    case 'int64':
      w.int64(v as number | bigint);
      return;
    case 'uint16':
      w.uint16(v as number);
      return;
    case 'float64':
      w.float64(v as number);
      return;
    case 'bool':
      w.bool(v as boolean);
      return;
    case 'uuid':
      w.uuid(v as Uint8Array);
      return;
    case 'string':
      if (typeof v !== 'string' && !(nullable && v === null)) throw new ProtocolError(`field "${name}" must be a string`);
      if (flexible) {
        if (nullable) w.compactNullableString(v as string | null);
        else w.compactString(v as string);
      } else if (nullable) w.nullableString(v as string | null);
      else w.string(v as string);
      return;
    case 'bytes':
    case 'records':
      if (flexible) {
        if (nullable) w.compactNullableBytes(v as Uint8Array | null);
        else w.compactBytes(v as Uint8Array);
      } else if (nullable) w.nullableBytes(v as Uint8Array | null);
      else w.bytes(v as Uint8Array);
      return;
  }
}

export function decodeStruct(r: Reader, s: StructSpec, version: number, flexible: boolean): Obj {
  const out: Obj = {};
  for (const f of s.fields) {
    if (!within(f.versions, version) || within(f.taggedVersions, version)) {
      if (f.default !== undefined) out[f.name] = f.default;
    }
  }
  const plan = planFor(s, version);
  for (const f of plan.regular) out[f.name] = decodeValue(r, f, version, flexible);
  if (!flexible) return out;
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    const size = r.uvarint();
    if (size > r.remaining) throw new ProtocolError(`tagged field ${tag} at offset ${r.pos} claims ${size} bytes, ${r.remaining} left`);
    const end = r.pos + size;
    const f = plan.tagged.find((t) => t.tag === tag);
    if (f) {
      out[f.name] = decodeValue(r, f, version, flexible);
      if (r.pos !== end) throw new ProtocolError(`tagged field ${tag} ("${f.name}") has ${size} bytes but decoded ${r.pos - (end - size)}`);
    } else {
      // Unknown tags are skipped: a newer broker may add them at any version.
      r.raw(size);
    }
  }
  return out;
}

function decodeValue(r: Reader, f: FieldSpec, version: number, flexible: boolean): unknown {
  const nullable = within(f.nullable, version);
  const t = f.type;
  if (typeof t === 'string') return decodePrimitive(r, t, nullable, flexible);
  if (t.kind === 'struct') {
    if (nullable && r.int8() < 0) return null;
    return decodeStruct(r, t, version, flexible);
  }
  const n = flexible ? r.compactArrayLength(f.name) : r.arrayLength(f.name);
  if (n < 0) {
    if (!nullable) throw new ProtocolError(`array "${f.name}" is null but not nullable at version ${version}`);
    return null;
  }
  const items: unknown[] = new Array(n);
  const of = t.of;
  for (let i = 0; i < n; i++) {
    items[i] = typeof of === 'string' ? decodePrimitive(r, of, false, flexible) : decodeStruct(r, of, version, flexible);
  }
  return items;
}

function decodePrimitive(r: Reader, t: Primitive, nullable: boolean, flexible: boolean): unknown {
  switch (t) {
    case 'int8':
      return r.int8();
    case 'int16':
      return r.int16();
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'uint16':
      return r.uint16();
    case 'float64':
      return r.float64();
    case 'bool':
      return r.bool();
    case 'uuid':
      return Buffer.from(r.uuid());
    case 'string':
      if (flexible) return nullable ? r.compactNullableString() : r.compactString();
      return nullable ? r.nullableString() : r.string();
    case 'bytes':
    case 'records':
      if (flexible) return nullable ? r.compactNullableBytes() : r.compactBytes();
      return nullable ? r.nullableBytes() : r.bytes();
  }
}
