import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startBroker } from '../helpers/broker.js'
import { BenchClient } from './bench-client.js'
import { buildNativePrograms } from './native-build.js'
import { type NativeGenerator, startNativeFanIn, startNativeFanOutPublisher, startNativeIdle } from './native-load-generator.js'
import { PAYLOAD_BYTES } from './scenarios.js'

const WINDOW_MS = 300

before(() => buildNativePrograms())

/** Lets the load run, then measures one short window of it. */
async function measure(generator: NativeGenerator): Promise<Awaited<ReturnType<NativeGenerator['report']>>> {
  await sleep(WINDOW_MS)
  generator.reset()
  await sleep(WINDOW_MS)
  return await generator.report()
}

test('QoS 1 fan-in: every acknowledged message reaches the subscriber before the report, with its latency', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const generator = await startNativeFanIn(broker.port, { kind: 'fan-in', publishers: 3, qos: 1, window: 16, persistentSubscriber: false })
  t.after(() => generator.kill())
  const report = await measure(generator)
  assert.ok(report.acked > 0 && report.delivered > 0, JSON.stringify(report))
  assert.equal(report.undelivered, 0)
  assert.equal(report.connections, 4)
  assert.equal(report.lost, 0)
  assert.equal(report.negativeLatencies, 0)
  assert.ok(report.p50Ms !== null && report.p99Ms !== null && report.p50Ms <= report.p99Ms)
})

test('QoS 0 fan-in: the publishers write flat out to one subscriber on bench/#', async (t) => {
  const broker = await startBroker({ maxQueuedMessages: 1_000_000 })
  t.after(() => broker.close())
  const generator = await startNativeFanIn(broker.port, { kind: 'fan-in', publishers: 2, qos: 0, window: 0, persistentSubscriber: false })
  t.after(() => generator.kill())
  const report = await measure(generator)
  assert.ok(report.published > 0 && report.delivered > 0, JSON.stringify(report))
  assert.equal(report.acked, 0)
  assert.equal(report.lost, 0)
})

test('the fan-out publisher sends QoS 0 PUBLISHes on its topic, each with the bench payload', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const subscriber = await BenchClient.open(broker.port, 'bench-test-sub')
  t.after(() => subscriber.close())
  const received: { flags: number; topicLength: number; bodyLength: number }[] = []
  subscriber.onPacket = (type, flags, buffer, start, end) => {
    if (type === 3) received.push({ flags, topicLength: buffer.readUInt16BE(start), bodyLength: end - start })
  }
  await subscriber.subscribe('bench/fanout', 0)
  const generator = await startNativeFanOutPublisher(broker.port, 1000, 'bench/fanout')
  t.after(() => generator.kill())
  const report = await measure(generator)
  assert.ok(report.published > 0)
  assert.ok(received.length > 0)
  for (const packet of received) assert.deepEqual(packet, { flags: 0, topicLength: 12, bodyLength: 2 + 12 + PAYLOAD_BYTES })
})

test('idle connections stay connected and send nothing', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const generator = await startNativeIdle(broker.port, 50)
  t.after(() => generator.kill())
  const report = await measure(generator)
  assert.deepEqual(
    { connections: report.connections, lost: report.lost, published: report.published },
    { connections: 50, lost: 0, published: 0 }
  )
})
