// Sends a kafkajs sendBatch() through one of our producers: every message
// becomes a record sent at once (the accumulator batches them with whatever
// else is being sent), and the call resolves when all of them have settled.
// A partitioner other than the DefaultPartitioner is asked per message with
// kafkajs's partition metadata, as kafkajs asks it.

import type { KafkaProducer } from '../producer.js';
import type { PartitionMetadata as NativePartition } from '../sender/messages.js';
import { toRecord } from './messages.js';
import type { PartitionerArgs, PartitionMetadata } from './partitioners.js';
import { SendCall } from './results.js';
import type { RecordMetadata, TopicMessages } from './types.js';

export type Partition = (args: PartitionerArgs) => number;

/** kafkajs's view of a topic's partitions, made once per metadata the producer holds. */
const kafkajsView = new WeakMap<readonly NativePartition[], PartitionMetadata[]>();

async function partitionMetadata(producer: KafkaProducer, topic: string): Promise<PartitionMetadata[]> {
  const native = await producer.partitionsFor(topic);
  let view = kafkajsView.get(native);
  if (!view) {
    view = native.map((p) => ({ partitionErrorCode: 0, partitionId: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr, offlineReplicas: [] }));
    kafkajsView.set(native, view);
  }
  return view;
}

function hasOwnTimestamps(topicMessages: readonly TopicMessages[]): boolean {
  return topicMessages.some(({ messages }) => messages.some((m) => m.timestamp !== undefined && m.timestamp !== null));
}

/** `partition`: null to let the producer choose (DefaultPartitioner: a message's partition, else murmur2 for keys as Java, else sticky). */
export async function sendMessages(producer: KafkaProducer, topicMessages: readonly TopicMessages[], acks: number, partition: Partition | null): Promise<RecordMetadata[]> {
  const now = Date.now();
  const call = new SendCall(acks, hasOwnTimestamps(topicMessages) ? -1 : now);
  try {
    for (const { topic, messages } of topicMessages) {
      const metadata = partition ? await partitionMetadata(producer, topic) : null;
      for (const message of messages) {
        // A partitioner of kafkajs's decides for every message; ours honours the message's own partition first.
        const chosen = partition && metadata ? partition({ topic, partitionMetadata: metadata, message }) : (message.partition ?? undefined);
        call.added();
        producer.send(toRecord(topic, message, now, chosen), call.callback);
      }
    }
    call.closed();
  } catch (err) {
    call.closed(err);
  }
  return call.promise;
}
