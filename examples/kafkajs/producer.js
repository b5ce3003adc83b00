// kafkajs's producer example (its docs/ProducerExample.md and
// examples/producer.js) as a kafkajs user has it: only the import names
// kafka-producer-ts/kafkajs instead of kafkajs. The brokers and topic come
// from the environment instead of kafkajs's local Docker set-up.
// Run: KAFKA_BROKERS=127.0.0.1:9092 TOPIC=topic-test node examples/kafkajs/producer.js

import { Kafka, CompressionTypes, logLevel } from 'kafka-producer-ts/kafkajs'

const kafka = new Kafka({
  logLevel: logLevel.INFO,
  brokers: (process.env.KAFKA_BROKERS || 'localhost:9092').split(','),
  clientId: 'example-producer',
})

const topic = process.env.TOPIC || 'topic-test'
const producer = kafka.producer()

const getRandomNumber = () => Math.round(Math.random() * 1000)
const createMessage = num => ({
  key: `key-${num}`,
  value: `value-${num}-${new Date().toISOString()}`,
  headers: {
    'correlation-id': `${num}-${Date.now()}`,
  },
})

let msgNumber = 0
let requestNumber = 0
const sendMessage = () => {
  const messages = Array(getRandomNumber())
    .fill()
    .map(_ => createMessage(getRandomNumber()))

  const requestId = requestNumber++
  msgNumber += messages.length
  kafka.logger().info(`Sending ${messages.length} messages #${requestId}...`)
  return producer
    .send({
      topic,
      compression: CompressionTypes.GZIP,
      messages,
    })
    .then(response => {
      kafka.logger().info(`Messages sent #${requestId}`, {
        response,
        msgNumber,
      })
    })
    .catch(e => kafka.logger().error(`[example/producer] ${e.message}`, { stack: e.stack }))
}

let intervalId
const run = async () => {
  await producer.connect()
  intervalId = setInterval(sendMessage, 3000)
}

run().catch(e => kafka.logger().error(`[example/producer] ${e.message}`, { stack: e.stack }))

const errorTypes = ['unhandledRejection', 'uncaughtException']
const signalTraps = ['SIGTERM', 'SIGINT', 'SIGUSR2']

errorTypes.forEach(type => {
  process.on(type, async e => {
    try {
      kafka.logger().info(`process.on ${type}`)
      kafka.logger().error(e.message, { stack: e.stack })
      await producer.disconnect()
      process.exit(0)
    } catch (_) {
      process.exit(1)
    }
  })
})

signalTraps.forEach(type => {
  process.once(type, async () => {
    kafka.logger().info('[example/producer] disconnecting')
    clearInterval(intervalId)
    await producer.disconnect()
  })
})
