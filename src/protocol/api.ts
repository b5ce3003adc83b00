// One API = one definition covering all its versions: key, the version range
// this client speaks, where flexible encoding starts, and the request and
// response schemas. Framing and headers (docs/protocol.md §1) live here too.

import { MalformedResponseError, ProtocolError } from './errors.js';
import { Reader } from './reader.js';
import { decodeStruct, encodeStruct, type StructSpec } from './schema.js';
import { Writer } from './writer.js';

export interface Api<Req, Res> {
  readonly key: number;
  readonly name: string;
  /** The versions this client can encode and decode. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version; Infinity when the API never becomes flexible. */
  readonly flexibleFrom: number;
  readonly request: StructSpec;
  readonly response: StructSpec;
  /** Phantom members that carry the body types; never set at run time. */
  readonly __req?: Req;
  readonly __res?: Res;
}

export type RequestOf<A> = A extends Api<infer Req, unknown> ? Req : never;
export type ResponseOf<A> = A extends Api<unknown, infer Res> ? Res : never;

export function defineApi<Req, Res>(def: Omit<Api<Req, Res>, '__req' | '__res'>): Api<Req, Res> {
  return def;
}

export function isFlexible(api: Api<unknown, unknown>, version: number): boolean {
  return version >= api.flexibleFrom;
}

const API_VERSIONS_KEY = 18;

/**
 * A whole request frame: int32 size, request header (v1, or v2 when flexible),
 * body. Returned as chunks so large record batches are not copied.
 */
export function encodeRequest<Req>(
  api: Api<Req, unknown>,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: Req,
): Buffer[] {
  if (version < api.minVersion || version > api.maxVersion) {
    throw new ProtocolError(`${api.name} v${version} is outside the versions this client speaks (${api.minVersion}-${api.maxVersion})`);
  }
  const flexible = isFlexible(api, version);
  const w = new Writer(128);
  w.int32(0); // size, patched below
  w.int16(api.key).int16(version).int32(correlationId);
  w.nullableString(clientId); // int16 length even in header v2
  if (flexible) w.emptyTaggedFields();
  encodeStruct(w, api.request, body as Record<string, unknown>, version, flexible);
  const chunks = w.chunks();
  const first = chunks[0] as Buffer;
  first.writeInt32BE(w.length - 4, 0);
  return chunks;
}

/** Reads the correlation id that starts every response (after the size prefix is removed). */
export function responseCorrelationId(frame: Buffer): number {
  if (frame.length < 4) throw new ProtocolError(`response of ${frame.length} bytes has no correlation id`);
  return frame.readInt32BE(0);
}

/**
 * Decodes a response body (frame without its size prefix). ApiVersions always
 * uses response header v0, so a client can read it before knowing the
 * broker's versions. Trailing bytes mean our schema and the broker's differ.
 * Bytes that do not decode throw a MalformedResponseError naming the API,
 * the version and the offset.
 */
export function decodeResponse<Res>(api: Api<unknown, Res>, version: number, frame: Buffer): Res {
  return readResponse(api, version, new Reader(frame, 4));
}

/** decodeResponse from a Reader placed after the correlation id: a tool can hand in a Reader that watches the reads. */
export function readResponse<Res>(api: Api<unknown, Res>, version: number, r: Reader): Res {
  try {
    const flexible = isFlexible(api, version);
    if (flexible && api.key !== API_VERSIONS_KEY) r.taggedFields();
    const body = decodeStruct(r, api.response, version, flexible);
    if (r.remaining !== 0) throw new ProtocolError(`${r.remaining} unexpected trailing bytes`);
    return body as Res;
  } catch (err) {
    // Only the decoder's own verdicts: anything else is a bug and stays as it is.
    if (err instanceof ProtocolError) throw new MalformedResponseError(api.name, version, r.pos, err);
    throw err;
  }
}

/** Request side of the same schema, used by tests to check our bytes round trip. */
export function decodeRequestBody<Req>(api: Api<Req, unknown>, version: number, body: Buffer): Req {
  const r = new Reader(body);
  const value = decodeStruct(r, api.request, version, isFlexible(api, version));
  if (r.remaining !== 0) throw new ProtocolError(`${api.name} v${version} request has ${r.remaining} trailing bytes`);
  return value as Req;
}
