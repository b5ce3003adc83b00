// kafkajs's transactions example (its docs/Transactions.md) as a complete
// program: only the import names kafka-producer-ts/kafkajs instead of
// kafkajs. One transaction commits, one aborts; a read_committed consumer
// sees the first and never the second.
// Run: KAFKA_BROKERS=127.0.0.1:9092 TOPIC=topic-test node examples/kafkajs/transactional-producer.js

import { Kafka, logLevel } from 'kafka-producer-ts/kafkajs'

const client = new Kafka({
  clientId: 'transactional-client',
  brokers: (process.env.KAFKA_BROKERS || 'localhost:9092').split(','),
  logLevel: logLevel.WARN,
})
const producer = client.producer({
  transactionalId: process.env.TRANSACTIONAL_ID || 'my-transactional-producer',
  maxInFlightRequests: 1,
  idempotent: true,
})
const topic = process.env.TOPIC || 'topic-test'

const sendInTransaction = async (messages, shouldCommit) => {
  const transaction = await producer.transaction()

  try {
    await transaction.send({ topic, messages })

    if (!shouldCommit) throw new Error('changed our mind')
    await transaction.commit()
    console.log(`committed ${messages.length} messages`)
  } catch (e) {
    await transaction.abort()
    console.log(`aborted ${messages.length} messages: ${e.message}`)
  }
}

const run = async () => {
  await producer.connect()
  await sendInTransaction([{ key: 'a', value: 'committed-1' }, { key: 'b', value: 'committed-2' }], true)
  await sendInTransaction([{ key: 'c', value: 'aborted-1' }], false)
  await producer.disconnect()
}

run().catch(e => {
  console.error(`[example/transactional-producer] ${e.message}`, e)
  process.exit(1)
})
