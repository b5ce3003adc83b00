// The facts of one Produce request for the producer's `kafka-producer-ts:produce`
// trace: broker, partitions with their record counts and answers, and when it
// was written and answered. Built only while the producer says someone traces
// (a request then carries a RequestTrace), so untraced requests cost nothing.

import type { ProduceResponse } from '../protocol/apis/produce.js';
import type { ProduceFacts } from './messages.js';
import type { SenderBatch } from './sender-batch.js';
import type { SenderConnection } from './transport.js';
import { serializeError } from './wire-errors.js';

export interface RequestTrace {
  conn: SenderConnection;
  nodeId: number;
  apiVersion: number;
  acks: -1 | 0 | 1;
  startTime: number;
}

/** Epoch milliseconds at the monotonic clock's precision; comparable between threads. */
export function traceClock(): number {
  return performance.timeOrigin + performance.now();
}

/** `res` undefined: the request failed (err) or has no response (acks=0). */
export function produceFacts(
  trace: RequestTrace,
  batches: ReadonlyMap<string, ReadonlyMap<number, { batch: SenderBatch }>>,
  err: Error | null,
  res: ProduceResponse | undefined,
): ProduceFacts {
  const partitions: ProduceFacts['partitions'] = [];
  for (const [topic, byPartition] of batches) {
    const answers = res?.responses.find((t) => t.name === topic)?.partitionResponses;
    for (const [partition, { batch }] of byPartition) {
      const answer = answers?.find((p) => p.index === partition);
      partitions.push({
        topic,
        partition,
        records: batch.count,
        bytes: batch.payload?.length ?? 0,
        errorCode: answer ? answer.errorCode : null,
        baseOffset: answer ? answer.baseOffset : -1,
      });
    }
  }
  const { conn } = trace;
  return {
    broker: conn.broker,
    nodeId: trace.nodeId,
    host: conn.host,
    port: conn.port,
    apiVersion: trace.apiVersion,
    acks: trace.acks,
    startTime: trace.startTime,
    endTime: traceClock(),
    partitions,
    error: err ? serializeError(err) : null,
  };
}
