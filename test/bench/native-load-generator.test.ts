import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startBroker } from '../helpers/broker.js'
import { BenchClient } from './bench-client.js'
import { describeMachine, machineLine } from './machine.js'
import { buildNativePrograms } from './native-build.js'
import {
  type NativeGenerator,
  offlineQueueProblems,
  startNativeFanIn,
  startNativeFanOutPublisher,
  startNativeIdle,
  startNativeOfflineQueue
} from './native-load-generator.js'
import { type OfflineQueueScenario, PAYLOAD_BYTES } from './scenarios.js'
import { queueShortfalls } from './workloads/offline-queue.js'

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

test('offline queue: sessions subscribe and go, then every message for each is acknowledged, and each session holds its own', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  // Three publishers for seven sessions: two serve two sessions, one serves three. A window under the refill batch.
  const scenario: OfflineQueueScenario = { kind: 'offline-queue', sessions: 7, messagesPerSession: 40, publishers: 3, window: 4 }
  const generator = await startNativeOfflineQueue(broker.port, scenario)
  t.after(() => generator.kill())
  generator.reset()
  const report = await generator.report()
  assert.deepEqual(
    {
      published: report.published,
      acked: report.acked,
      expected: report.expected,
      connections: report.connections,
      lost: report.lost,
      stalled: report.stalled
    },
    { published: 280, acked: 280, expected: 280, connections: 3, lost: 0, stalled: false }
  )
  assert.ok(report.seconds > 0 && typeof report.cpuSeconds === 'number' && report.cpuSeconds >= 0, JSON.stringify(report))
  assert.deepEqual(offlineQueueProblems(report), [])
  const everySession = Array.from({ length: scenario.sessions }, (_, n) => n)
  assert.deepEqual(await queueShortfalls(broker.port, everySession, scenario.messagesPerSession), [])
})

test('offline queue: a broker that goes away mid-publishing ends the run with a report that says so, not a hang', async (t) => {
  const broker = await startBroker({ maxQueuedMessages: 10_000_000 })
  t.after(() => broker.close())
  const scenario: OfflineQueueScenario = { kind: 'offline-queue', sessions: 2, messagesPerSession: 5_000_000, publishers: 2, window: 64 }
  const generator = await startNativeOfflineQueue(broker.port, scenario)
  t.after(() => generator.kill())
  generator.reset()
  await sleep(WINDOW_MS)
  await broker.close()
  const report = await generator.report()
  assert.ok(report.lost > 0 && report.acked < report.expected, JSON.stringify(report))
  assert.ok(offlineQueueProblems(report).some((problem) => problem.includes('connections')))
})

test("the machine's cost of one system call is measured on the brokers' core and printed with the machine", () => {
  const machine = describeMachine()
  assert.ok(machine.syscallNs > 0 && machine.syscallNs < 1_000_000, `${machine.syscallNs} ns`)
  assert.match(machineLine(machine), new RegExp(`Linux .*one system call on the brokers' core: ${machine.syscallNs} ns\\.$`))
})
