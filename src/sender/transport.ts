// What the Sender needs of the network: connections to brokers by node id
// (and lane: Produce may use several connections to one broker), any connection for cluster-wide requests, and metadata. The Cluster
// provides it over TCP; tests give a scripted fake broker instead, so the
// Sender's rules are proven without one.

import type { Api } from '../protocol/api.js';
import type { MetadataCache } from '../network/metadata-cache.js';
import type { ResponseCallback } from '../network/connection.js';

export interface SenderConnection {
  /** "host:port (node N)", for errors and diagnostics. */
  readonly broker: string;
  readonly host: string;
  readonly port: number;
  readonly closed: boolean;
  /** Requests written and not answered yet. */
  readonly inFlight: number;
  /** The socket's buffer is full: write no more until it drains. */
  readonly writableNeedDrain: boolean;
  versionFor(api: Api<unknown, unknown>): number;
  /** Feature levels the broker finalized (ApiVersions v3+: name to max level), e.g. transaction.version. */
  readonly finalizedFeatures: ReadonlyMap<string, number>;
  request<Req, Res>(api: Api<Req, Res>, body: Req, opts?: { version?: number; timeoutMs?: number }): Promise<Res>;
  requestWithCallback<Req, Res>(api: Api<Req, Res>, body: Req, callback: ResponseCallback<Res>, opts?: { version?: number; timeoutMs?: number }): void;
  /** acks=0: the callback runs once the bytes are written. */
  sendWithoutResponse<Req>(api: Api<Req, unknown>, body: Req, callback: (err: Error | null) => void, version?: number): void;
  once(event: 'close', listener: () => void): unknown;
}

export interface Transport {
  readonly metadata: MetadataCache;
  /** The connection to a broker; lanes other than 0 are further connections to it, for Produce. */
  connectionTo(nodeId: number, lane?: number): Promise<SenderConnection>;
  /** A connection to any broker, for requests any broker answers (InitProducerId). */
  anyConnection(): Promise<SenderConnection>;
  refreshMetadata(topics: readonly string[], allowAutoTopicCreation: boolean): Promise<MetadataCache>;
  close(): Promise<void>;
}
