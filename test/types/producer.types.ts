// Compile-time checks of the public types, run by `npm run typecheck` (never
// executed): serializer types flow into send(), events are typed, and wrong
// types fail to compile (each @ts-expect-error must meet an error, or tsc
// reports the directive itself as unused).

import { InvalidRecordError, KafkaClientError, KafkaProducer, KafkaTimeoutError, type ErrorCode, type FailedRecord, type RecordMetadata, type SendResult } from 'kafka-producer-ts';

interface Order {
  id: string;
  total: number;
}

const orders = new KafkaProducer({
  bootstrapServers: '127.0.0.1:9092',
  keySerializer: (id: number) => String(id),
  valueSerializer: (order: Order) => Buffer.from(JSON.stringify(order)),
});

// The serializers' parameter types are what send() asks for.
const sent: SendResult = orders.send({ topic: 'orders', key: 42, value: { id: 'a', total: 3 } });
void sent.then((md: RecordMetadata) => md.offset);
orders.send({ topic: 'orders', key: null, value: null });

// @ts-expect-error the value must be an Order
orders.send({ topic: 'orders', key: 1, value: 'not an order' });
// @ts-expect-error the key must be a number
orders.send({ topic: 'orders', key: 'one', value: { id: 'a', total: 3 } });
// @ts-expect-error an Order needs its total
orders.send({ topic: 'orders', value: { id: 'a' } });

// Without serializers keys and values are strings or bytes.
const plain = new KafkaProducer({ bootstrapServers: '127.0.0.1:9092' });
plain.send({ topic: 't', key: 'k', value: Buffer.from('v'), headers: { h: 'x' } });
plain.send({ topic: 't', value: new Uint8Array(3), partition: null, timestamp: null });
// @ts-expect-error a number is not bytes without a valueSerializer
plain.send({ topic: 't', value: 5 });

// Events carry typed arguments, so listeners are not `any`.
plain.on('deliveryError', (err, record) => {
  const e: Error = err;
  const r: FailedRecord = record;
  void [e.message, r.topic, r.partition];
});
plain.on('fatalError', (err) => void err.message);
plain.on('drain', () => undefined);
// @ts-expect-error no such event
plain.on('delivery-error', () => undefined);
// @ts-expect-error deliveryError's first argument is an Error, not a string
plain.on('deliveryError', (err: string) => void err);

// A stream of records (topic from its options); Writable.write itself takes any chunk, so pipeline() accepts it.
const stream = orders.writable({ topic: 'orders' });
stream.write({ key: 7, value: { id: 'b', total: 1 } });

// Transactions: offsets name their partition; the group is at least its id.
const txn = new KafkaProducer({ bootstrapServers: '127.0.0.1:9092', transactionalId: 'tx', transactionTimeoutMs: 30_000 });
const initialized: Promise<void> = txn.initTransactions();
void initialized;
txn.beginTransaction();
void txn.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 42, metadata: null }], { groupId: 'g', generationId: 3, memberId: 'm' });
// @ts-expect-error the group needs its groupId
void txn.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 42 }], { generationId: 3 });
// @ts-expect-error an offset needs its partition
void txn.sendOffsetsToTransaction([{ topic: 'in', offset: 42 }], { groupId: 'g' });
// @ts-expect-error transactionalId is a string
void new KafkaProducer({ bootstrapServers: '127.0.0.1:9092', transactionalId: 1 });

// ssl and sasl: data-only TLS options, and one shape per SASL mechanism.
new KafkaProducer({ bootstrapServers: 'b:9093', ssl: { ca: Buffer.from('pem'), servername: 'kafka.internal' }, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } });
new KafkaProducer({ bootstrapServers: 'b:9093', ssl: true, sasl: { mechanism: 'oauthbearer', token: async () => ({ value: 'jwt', extensions: { k: 'v' } }) } });
// @ts-expect-error a function cannot reach the sender's worker thread: not a TLS option here
new KafkaProducer({ bootstrapServers: 'b:9093', ssl: { checkServerIdentity: () => undefined } });
// @ts-expect-error PLAIN needs a password
new KafkaProducer({ bootstrapServers: 'b:9093', sasl: { mechanism: 'plain', username: 'u' } });
// @ts-expect-error OAUTHBEARER takes a token provider, not a password
new KafkaProducer({ bootstrapServers: 'b:9093', sasl: { mechanism: 'oauthbearer', username: 'u', password: 'p' } });

// Errors: `code` is a union of the literal codes and `retriable` is on every class.
declare const caught: KafkaClientError;
if (caught.code === 'KPT_ERR_TIMEOUT') void caught.retriable;
// @ts-expect-error a misspelt code is no ErrorCode, so the comparison cannot be true
if (caught.code === 'KPT_ERR_TIMEUOT') void caught;
const codes: ErrorCode[] = [new KafkaTimeoutError('t').code, new InvalidRecordError('r').code];
const retriable: boolean[] = [new KafkaTimeoutError('t').retriable, new InvalidRecordError('r').retriable];
void [codes, retriable];

// `await using` closes the producer at the end of the block.
export async function disposed(): Promise<void> {
  await using scoped = new KafkaProducer({ bootstrapServers: '127.0.0.1:9092' });
  scoped.send({ topic: 't', value: 'v' });
}
