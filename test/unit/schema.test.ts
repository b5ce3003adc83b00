// The schema interpreter: one definition, many versions. Produce request
// bytes at v3 (classic), v9 (flexible) and v13 (topic ids), header v1 vs v2,
// and tagged fields, including unknown tags a newer broker may send.

import { describe, expect, it } from 'vitest';
import { decodeRequestBody, decodeResponse, encodeRequest } from '../../src/protocol/api.js';
import { Produce } from '../../src/protocol/apis/produce.js';
import { ApiVersions } from '../../src/protocol/apis/api-versions.js';
import { Reader } from '../../src/protocol/reader.js';
import { array, decodeStruct, encodeStruct, field, struct, versions } from '../../src/protocol/schema.js';
import { Writer } from '../../src/protocol/writer.js';

const records = Buffer.from('0102', 'hex');

function frameHex(version: number, topic: { name?: string; topicId?: Buffer }): string {
  const chunks = encodeRequest(Produce, version, 7, 'c', {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ ...topic, partitionData: [{ index: 2, records }] }],
  });
  return Buffer.concat(chunks).toString('hex');
}

describe('Produce request across versions', () => {
  it('v3: header v1, classic strings, arrays and bytes', () => {
    const body = 'ffff' + 'ffff' + '000003e8' + '00000001' + '0001' + '74' + '00000001' + '00000002' + '00000002' + '0102';
    const header = '0000' + '0003' + '00000007' + '0001' + '63';
    const size = (header.length + body.length) / 2;
    expect(frameHex(3, { name: 't' })).toBe(size.toString(16).padStart(8, '0') + header + body);
  });

  it('v9: header v2 (client id keeps its int16 length), compact forms and tagged sections', () => {
    const header = '0000' + '0009' + '00000007' + '0001' + '63' + '00';
    const body = '00' + 'ffff' + '000003e8' + '02' + '0274' + '02' + '00000002' + '030102' + '00' + '00' + '00';
    const size = (header.length + body.length) / 2;
    expect(frameHex(9, { name: 't' })).toBe(size.toString(16).padStart(8, '0') + header + body);
  });

  it('v13: topics are named by their 16-byte id', () => {
    const id = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const hex = frameHex(13, { topicId: id });
    expect(hex).toContain('02' + id.toString('hex') + '02' + '00000002');
    const body = Buffer.from(hex, 'hex').subarray(4 + 2 + 2 + 4 + 3 + 1);
    const decoded = decodeRequestBody(Produce, 13, body);
    expect(decoded.topicData[0]?.topicId).toEqual(id);
    expect(decoded.topicData[0]?.name).toBeUndefined();
  });

  it('names a missing required field', () => {
    expect(() => encodeRequest(Produce, 3, 1, null, { transactionalId: null, acks: 1, timeoutMs: 1, topicData: [{ partitionData: [] }] })).toThrow(
      /field "name" is required/,
    );
  });

  it('refuses versions outside the definition', () => {
    expect(() => encodeRequest(Produce, 2, 1, null, { transactionalId: null, acks: 1, timeoutMs: 1, topicData: [] })).toThrow(/outside/);
  });
});

describe('tagged fields', () => {
  const spec = struct(
    field('a', 'int32', '0+'),
    field('hint', struct(field('leader', 'int32', '1+'), field('epoch', 'int32', '1+')), '1+', { tag: 0 }),
    field('note', 'string', '1+', { tag: 3, nullable: '1+', default: null }),
  );

  it('writes present tags in ascending order with their sizes, and reads them back', () => {
    const w = new Writer();
    encodeStruct(w, spec, { a: 1, hint: { leader: 5, epoch: 9 }, note: 'x' }, 1, true);
    const hex = w.toBuffer().toString('hex');
    // a | 2 tags | tag 0, size 9: leader, epoch, empty inner tags | tag 3, size 2: compact "x"
    expect(hex).toBe('00000001' + '02' + '00' + '09' + '00000005' + '00000009' + '00' + '03' + '02' + '0278');
    const back = decodeStruct(new Reader(w.toBuffer()), spec, 1, true);
    expect(back).toEqual({ a: 1, hint: { leader: 5, epoch: 9 }, note: 'x' });
  });

  it('an absent tagged field costs one byte and decodes to its default', () => {
    const w = new Writer();
    encodeStruct(w, spec, { a: 1 }, 1, true);
    expect(w.toBuffer().toString('hex')).toBe('0000000100');
    expect(decodeStruct(new Reader(w.toBuffer()), spec, 1, true)).toEqual({ a: 1, note: null });
  });

  it('skips tags it does not know', () => {
    const buf = Buffer.from('00000001' + '01' + '07' + '03' + 'aabbcc', 'hex');
    const r = new Reader(buf);
    expect(decodeStruct(r, spec, 1, true)).toEqual({ a: 1, note: null });
    expect(r.remaining).toBe(0);
  });
});

describe('versions notation', () => {
  it('parses Kafka ranges', () => {
    expect(versions('3+')).toEqual({ min: 3, max: Infinity });
    expect(versions('0-2')).toEqual({ min: 0, max: 2 });
    expect(versions('5')).toEqual({ min: 5, max: 5 });
    expect(() => versions('x')).toThrow();
  });

  it('arrays of primitives encode per version form', () => {
    const s = struct(field('ids', array('int32'), '0+'));
    const w = new Writer();
    encodeStruct(w, s, { ids: [1, 2] }, 0, false);
    encodeStruct(w, s, { ids: [1, 2] }, 0, true);
    expect(w.toBuffer().toString('hex')).toBe('00000002' + '00000001' + '00000002' + '03' + '00000001' + '00000002' + '00');
  });
});

describe('ApiVersions response header', () => {
  it('is v0 even at flexible versions (no tagged section after the correlation id)', () => {
    const body = new Writer().int32(9).int16(0).uvarint(2).int16(0).int16(3).int16(13).emptyTaggedFields().int32(0).emptyTaggedFields().toBuffer();
    const res = decodeResponse(ApiVersions, 3, body);
    expect(res.apiKeys).toEqual([{ apiKey: 0, minVersion: 3, maxVersion: 13 }]);
  });
});
