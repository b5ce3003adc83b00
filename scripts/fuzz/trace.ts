// Where a response's integers are: the real decoder runs over a fixture with a
// Reader that notes every integer it reads, and whether it was a length or
// count (strings, bytes, arrays, tagged sections) or a value. The mutators then
// aim hostile numbers at exactly those bytes instead of hoping a random flip
// lands on one.

import { readResponse } from '../../src/protocol/api.js';
import { Reader } from '../../src/protocol/reader.js';
import type { ResponseFixture } from './fixtures.js';

export type IntegerKind = 'int8' | 'int16' | 'int32' | 'int64' | 'uvarint';

export interface IntegerField {
  /** Offsets in the frame: the field is bytes [start, end). */
  start: number;
  end: number;
  kind: IntegerKind;
  /** A length or count the decoder sizes something by, or a plain value. */
  role: 'length' | 'value';
}

class TracingReader extends Reader {
  readonly fields: IntegerField[] = [];
  /** Set around the reads that start with a length; the next integer read takes it. */
  #nextRole: IntegerField['role'] = 'value';

  #trace<T>(kind: IntegerKind, read: () => T): T {
    const start = this.pos;
    const role = kind === 'uvarint' ? 'length' : this.#nextRole;
    this.#nextRole = 'value';
    const v = read();
    this.fields.push({ start, end: this.pos, kind, role });
    return v;
  }

  #length<T>(read: () => T): T {
    this.#nextRole = 'length';
    return read();
  }

  override int8(): number {
    return this.#trace('int8', () => super.int8());
  }

  override int16(): number {
    return this.#trace('int16', () => super.int16());
  }

  override int32(): number {
    return this.#trace('int32', () => super.int32());
  }

  override int64(): number {
    return this.#trace('int64', () => super.int64());
  }

  // Compact lengths and tagged sections are uvarints, which are always lengths in a response.
  override uvarint(): number {
    return this.#trace('uvarint', () => super.uvarint());
  }

  override string(): string {
    return this.#length(() => super.string());
  }

  override nullableString(): string | null {
    return this.#length(() => super.nullableString());
  }

  override bytes(): Buffer {
    return this.#length(() => super.bytes());
  }

  override nullableBytes(): Buffer | null {
    return this.#length(() => super.nullableBytes());
  }

  override arrayLength(name?: string): number {
    return this.#length(() => super.arrayLength(name));
  }
}

/** The integer fields of a fixture's frame, in the order the decoder reads them. */
export function integerFields(f: ResponseFixture): IntegerField[] {
  const r = new TracingReader(f.frame, 4);
  readResponse(f.api, f.version, r);
  return r.fields;
}
