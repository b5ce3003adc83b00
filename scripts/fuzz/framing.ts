// The connection's framing under fuzz: a real Connection, over a local
// socket, to a scripted broker that answers ApiVersions and then up to five
// pipelined requests with recorded responses made into a hostile byte stream
// (split anywhere, sizes out of range or off by a few bytes, wrong or swapped
// correlation ids, a frame nobody asked for, truncation, flipped bits,
// garbage, one body mutated, a mutated ApiVersions answer).
//
// Every case must end within its bound with each request's callback called
// exactly once: answered, or failed with a MalformedResponseError (its own
// bytes were bad) or a ConnectionClosedError, and never by waiting out
// requestTimeoutMs. Any failure means the connection is closed by then. A
// size prefix out of range or an unasked-for frame must close the
// connection by itself, while the broker keeps it open; a stream only split
// into pieces must answer every request as the recording decodes.

import net from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { Connection } from '../../src/network/connection.js';
import { ConnectionClosedError, ResponseSizeError } from '../../src/network/errors.js';
import { decodeResponse } from '../../src/protocol/api.js';
import { ApiVersions } from '../../src/protocol/apis/api-versions.js';
import { KafkaClientError, MalformedResponseError, ProtocolError } from '../../src/protocol/errors.js';
import type { ResponseFixture } from './fixtures.js';
import { MUTATIONS, mutate, type Mutation, type Subject } from './mutators.js';
import { caseSeed, Rng } from './random.js';
import { integerFields, type IntegerField } from './trace.js';

export const FRAMING_KINDS = [
  'split',
  'huge-size',
  'negative-size',
  'short-frame',
  'size-mismatch',
  'wrong-correlation-id',
  'reorder',
  'unsolicited',
  'truncate',
  'bit-flip',
  'garbage',
  'body',
  'negotiation',
] as const;

export type FramingKind = (typeof FRAMING_KINDS)[number];

export interface FramingTally {
  cases: number;
  /** Requests answered with a decoded response. */
  answered: number;
  /** Requests failed with a typed error. */
  failed: number;
  /** Cases whose connection could not be opened (the ApiVersions answer was refused). */
  refusedAtConnect: number;
}

export interface FramingFailure {
  index: number;
  kind: FramingKind;
  reason: string;
}

export interface FramingReport {
  cases: number;
  byKind: Record<string, FramingTally>;
  failureCount: number;
  failures: FramingFailure[];
  slowestCaseMs: number;
}

/** The connection's bound in these cases: small, so sizes just above it are cheap to claim. */
export const FRAMING_MAX_RESPONSE_SIZE = 64 * 1024;
/** Nothing here needs a timeout to end; a case still open after this is a hang. */
const CASE_BOUND_MS = 5000;
const REQUEST_TIMEOUT_MS = 3000;
const KEPT_FAILURES = 20;
/** Framing cases draw from other seeds than decoder cases of the same index. */
const FRAMING_SALT = 0x6672616d;
const INT32_MAX = 2147483647;

/** What the scripted broker does on one connection. */
interface Script {
  /** Answers to ApiVersions requests in turn, the last repeated; frames without prefix. */
  negotiation: Buffer[];
  requests: number;
  /** The bytes sent back once `requests` requests came in, given their correlation ids. */
  stream(ids: number[]): Buffer;
  /** Whether the broker ends the connection after writing: never when the client must notice by itself. */
  end: boolean;
  rng: Rng;
}

function withId(frame: Buffer, id: number): Buffer {
  const out = Buffer.from(frame);
  if (out.length >= 4) out.writeInt32BE(id, 0);
  return out;
}

function sized(frame: Buffer, size = frame.length): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(size, 0);
  return Buffer.concat([prefix, frame]);
}

/** Cuts a stream into pieces: a few random cuts, or byte by byte through the first frame's prefix and header. */
function pieces(stream: Buffer, rng: Rng): Buffer[] {
  if (stream.length === 0) return [];
  const cuts = new Set<number>();
  if (rng.below(8) === 0) for (let i = 1; i < Math.min(stream.length, 12); i++) cuts.add(i);
  for (let n = rng.below(Math.min(stream.length, 8)); n > 0; n--) cuts.add(rng.between(1, stream.length - 1));
  const at = [0, ...[...cuts].sort((a, b) => a - b), stream.length];
  const out: Buffer[] = [];
  for (let i = 1; i < at.length; i++) if ((at[i] as number) > (at[i - 1] as number)) out.push(stream.subarray(at[i - 1], at[i]));
  return out;
}

export class FramingFuzz {
  readonly #server: net.Server;
  readonly #port: number;
  readonly #seed: number;
  readonly #apiVersions: ResponseFixture[];
  readonly #answers: ResponseFixture[];
  readonly #fields: Map<ResponseFixture, IntegerField[]>;
  /** The scripts of the cases running, by case index: the client id names it (kpt-fuzz-N). */
  readonly #scripts = new Map<number, Script>();

  private constructor(server: net.Server, fixtures: readonly ResponseFixture[], seed: number) {
    this.#server = server;
    this.#port = (server.address() as net.AddressInfo).port;
    this.#seed = seed;
    this.#apiVersions = fixtures.filter((f) => f.api === ApiVersions);
    this.#answers = fixtures.filter((f) => f.api !== ApiVersions);
    if (!this.#apiVersions.some((f) => f.note === undefined) || this.#answers.length === 0) throw new Error('the fixtures lack ApiVersions or other answers');
    this.#fields = new Map(fixtures.map((f) => [f, integerFields(f)]));
    server.on('connection', (socket) => this.#serve(socket));
  }

  static async start(fixtures: readonly ResponseFixture[], seed: number): Promise<FramingFuzz> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FramingFuzz(server, fixtures, seed);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** The broker's side: answers per the script of the case the first request's client id names. */
  #serve(socket: net.Socket): void {
    let script: Script | undefined;
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    let negotiated = 0;
    const ids: number[] = [];
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 14 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const apiKey = buffered.readInt16BE(4);
        const id = buffered.readInt32BE(8);
        script ??= this.#scripts.get(Number(/^kpt-fuzz-(\d+)$/.exec(buffered.toString('latin1', 14, 14 + buffered.readInt16BE(12)))?.[1]));
        buffered = buffered.subarray(4 + buffered.readInt32BE(0));
        if (!script) {
          socket.destroy();
          return;
        }
        if (apiKey === ApiVersions.key) {
          const answer = script.negotiation[Math.min(negotiated++, script.negotiation.length - 1)] as Buffer;
          socket.write(sized(withId(answer, id)));
          continue;
        }
        ids.push(id);
        if (ids.length === script.requests) void this.#write(socket, script.stream(ids), script);
      }
    });
  }

  async #write(socket: net.Socket, stream: Buffer, script: Script): Promise<void> {
    for (const piece of pieces(stream, script.rng)) {
      if (socket.destroyed) return;
      socket.write(piece);
      await new Promise((r) => setImmediate(r));
    }
    if (script.end && !socket.destroyed) socket.end();
  }

  #subject(fixture: ResponseFixture): Subject {
    return { fixture, fields: this.#fields.get(fixture) ?? [] };
  }

  /** A clean ApiVersions answer: the newest recorded. */
  #cleanNegotiation(): Buffer {
    const clean = this.#apiVersions.filter((f) => f.note === undefined);
    return (clean[clean.length - 1] as ResponseFixture).frame;
  }

  #scriptFor(kind: FramingKind, picks: ResponseFixture[], rng: Rng): Script {
    const clean = this.#cleanNegotiation();
    const script: Script = { negotiation: [clean], requests: picks.length, end: true, rng, stream: () => Buffer.alloc(0) };
    const frames = (ids: number[]) => picks.map((f, i) => withId(f.frame, ids[i] as number));
    const k = rng.below(picks.length);
    const replaceAt = (ids: number[], bytes: Buffer, cutAfter = false) => {
      const parts = frames(ids).map((f) => sized(f));
      parts[k] = bytes;
      return Buffer.concat(cutAfter ? parts.slice(0, k + 1) : parts);
    };
    switch (kind) {
      case 'split':
        script.stream = (ids) => Buffer.concat(frames(ids).map((f) => sized(f)));
        break;
      case 'huge-size':
      case 'negative-size': {
        const size = kind === 'huge-size' ? rng.pick([INT32_MAX, FRAMING_MAX_RESPONSE_SIZE + 1, rng.between(FRAMING_MAX_RESPONSE_SIZE + 1, INT32_MAX)]) : rng.pick([-1, -INT32_MAX - 1, -rng.between(1, INT32_MAX)]);
        // The frame's start follows the prefix, and then nothing: waiting for the rest would hang.
        script.stream = (ids) => replaceAt(ids, sized((frames(ids)[k] as Buffer).subarray(0, rng.below(16)), size), true);
        script.end = false;
        break;
      }
      case 'short-frame':
        script.stream = (ids) => replaceAt(ids, sized(rng.bytes(rng.below(4))));
        break;
      case 'size-mismatch':
        script.stream = (ids) => {
          const f = frames(ids)[k] as Buffer;
          const delta = rng.pick([-1, 1]) * rng.between(1, 16);
          return replaceAt(ids, sized(f, Math.max(0, f.length + delta)));
        };
        break;
      case 'wrong-correlation-id':
        script.stream = (ids) => replaceAt(ids, sized(withId(frames(ids)[k] as Buffer, rng.pick([(ids[k] as number) + 1, -1, rng.u32() | 0]))));
        break;
      case 'reorder':
        script.stream = (ids) => {
          const parts = frames(ids).map((f) => sized(f));
          const j = (k + 1) % parts.length;
          [parts[k], parts[j]] = [parts[j] as Buffer, parts[k] as Buffer];
          // One request: its answer comes with the id of one never sent.
          return parts.length > 1 ? Buffer.concat(parts) : sized(withId(frames(ids)[0] as Buffer, (ids[0] as number) + 1));
        };
        break;
      case 'unsolicited':
        script.stream = (ids) => Buffer.concat([...frames(ids).map((f) => sized(f)), sized(withId(rng.pick(this.#answers).frame, rng.u32() & INT32_MAX))]);
        script.end = false;
        break;
      case 'truncate':
        script.stream = (ids) => {
          const all = Buffer.concat(frames(ids).map((f) => sized(f)));
          return all.subarray(0, rng.below(all.length));
        };
        break;
      case 'bit-flip':
        script.stream = (ids) => {
          const all = Buffer.concat(frames(ids).map((f) => sized(f)));
          for (let n = rng.between(1, 4); n > 0; n--) {
            const at = rng.below(all.length);
            all[at] = (all[at] as number) ^ (1 << rng.below(8));
          }
          return all;
        };
        break;
      case 'garbage':
        script.stream = (ids) => rng.bytes(rng.between(1, 2 * Buffer.concat(frames(ids)).length));
        break;
      case 'body':
        script.stream = (ids) => {
          const f = picks[k] as ResponseFixture;
          const mutant = mutate(rng.pick(BODY_MUTATIONS), this.#subject(f), rng);
          return replaceAt(ids, sized(withId(mutant.frame, ids[k] as number)));
        };
        break;
      case 'negotiation': {
        const f = rng.pick(this.#apiVersions);
        // The recorded answer to an unknown version (error 35 with the broker's ranges) is followed by a clean one.
        const first = f.note !== undefined && rng.below(2) === 0 ? f.frame : mutate(rng.pick(BODY_MUTATIONS), this.#subject(f), rng).frame;
        script.negotiation = [first, clean];
        script.stream = (ids) => Buffer.concat(frames(ids).map((fr) => sized(fr)));
        break;
      }
    }
    return script;
  }

  /** Runs cases [from, from + count), `concurrency` connections at a time (cases are independent; each has its own seed). */
  async run(from: number, count: number, concurrency = 8): Promise<FramingReport> {
    const report: FramingReport = { cases: 0, byKind: {}, failureCount: 0, failures: [], slowestCaseMs: 0 };
    let next = from;
    const lane = async () => {
      for (let index = next++; index < from + count; index = next++) {
        const kind = FRAMING_KINDS[index % FRAMING_KINDS.length] as FramingKind;
        const rng = new Rng(caseSeed(this.#seed ^ FRAMING_SALT, index));
        const picks = Array.from({ length: rng.between(1, 5) }, () => rng.pick(this.#answers));
        this.#scripts.set(index, this.#scriptFor(kind, picks, rng));
        const tally = (report.byKind[kind] ??= { cases: 0, answered: 0, failed: 0, refusedAtConnect: 0 });
        const start = performance.now();
        const reasons = await this.#case(index, kind, picks, tally);
        this.#scripts.delete(index);
        report.slowestCaseMs = Math.max(report.slowestCaseMs, performance.now() - start);
        report.cases++;
        tally.cases++;
        for (const reason of reasons) {
          if (report.failureCount++ < KEPT_FAILURES) report.failures.push({ index, kind, reason });
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    report.failures.sort((a, b) => a.index - b.index);
    return report;
  }

  /** One connection through one script; returns what went wrong (nothing, when the case passed). */
  async #case(index: number, kind: FramingKind, picks: ResponseFixture[], tally: FramingTally): Promise<string[]> {
    const reasons: string[] = [];
    let conn: Connection;
    try {
      conn = await Connection.connect({
        host: '127.0.0.1',
        port: this.#port,
        clientId: `kpt-fuzz-${index}`,
        connectTimeoutMs: REQUEST_TIMEOUT_MS,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        maxResponseSize: FRAMING_MAX_RESPONSE_SIZE,
      });
    } catch (err) {
      tally.refusedAtConnect++;
      if (kind !== 'negotiation') reasons.push(`connect failed with a clean ApiVersions answer: ${describe(err)}`);
      else if (!(err instanceof KafkaClientError) || err.name === 'RequestTimeoutError') reasons.push(`connect failed untyped or by timeout: ${describe(err)}`);
      return reasons;
    }
    let closeError: unknown = null;
    conn.on('close', (err: unknown, graceful: boolean) => {
      if (!graceful) closeError = err;
    });
    const calls = picks.map(() => 0);
    const outcomes: (Error | null)[] = picks.map(() => null);
    const settled = picks.map((f, i) =>
      new Promise<void>((resolve) => {
        conn.requestWithCallback(
          f.api,
          f.request,
          (err, res) => {
            calls[i] = (calls[i] as number) + 1;
            if (err) {
              outcomes[i] = err;
              tally.failed++;
              if (!conn.closed) reasons.push(`request ${i} failed (${describe(err)}) while the connection stayed open`);
            } else {
              tally.answered++;
              if ((kind === 'split' || kind === 'negotiation') && !isDeepStrictEqual(res, decodeResponse(f.api, f.version, f.frame))) {
                reasons.push(`request ${i} (${f.api.name} v${f.version}) decoded differently from its recording`);
              }
            }
            resolve();
          },
          { version: f.version },
        );
      }),
    );
    const mustCloseItself = kind === 'huge-size' || kind === 'negative-size' || kind === 'unsolicited';
    const closed = new Promise<void>((resolve) => (conn.closed ? resolve() : conn.once('close', () => resolve())));
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), CASE_BOUND_MS)));
    const done = await Promise.race([Promise.all(mustCloseItself ? [...settled, closed] : settled), bound]);
    clearTimeout(timer);
    if (done === 'hang') reasons.push(`not over within ${CASE_BOUND_MS} ms: ${calls.filter((c) => c === 0).length} of ${picks.length} requests unanswered, connection ${conn.closed ? 'closed' : 'open'}`);
    await conn.close();
    // A callback called twice would have run by now.
    await new Promise((r) => setImmediate(r));
    calls.forEach((c, i) => {
      if (c > 1) reasons.push(`request ${i}'s callback ran ${c} times`);
    });
    outcomes.forEach((err, i) => {
      if (err && !isTypedFailure(err)) reasons.push(`request ${i} failed with ${describe(err)}`);
    });
    if (kind === 'split' && outcomes.some((e) => e !== null)) reasons.push('a stream only split into pieces failed a request');
    if (mustCloseItself && done !== 'hang') {
      const cause = (closeError as Error | null)?.cause;
      const expected = kind === 'unsolicited' ? cause instanceof ProtocolError : cause instanceof ResponseSizeError;
      if (!(closeError instanceof ConnectionClosedError) || !expected) reasons.push(`closed with ${describe(closeError)} (cause ${describe(cause)})`);
    }
    return reasons;
  }
}

/** Body mutations for one frame: all but reading it as another version (the connection knows the version). */
const BODY_MUTATIONS: readonly Mutation[] = MUTATIONS.filter((m) => m !== 'version-swap');

/** Its own bytes were bad, or the connection went: never a timeout, never an untyped error. */
function isTypedFailure(err: Error): boolean {
  return err instanceof MalformedResponseError || err instanceof ConnectionClosedError;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
