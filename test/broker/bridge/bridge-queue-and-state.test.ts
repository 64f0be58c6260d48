import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  bridgeSettings,
  capturedLog,
  MosquittoProcess,
  startBridgedBroker,
  subscribeForLater,
  until,
  untilBridge
} from '../../helpers/bridged-brokers.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { mqttClient } from '../../helpers/session-clients.js'

// What waits for a remote that is away is bounded by the bridge's queue limits, and what is dropped is counted
// and logged; $SYS/broker/bridges/<name>/ tells the link's state, the queue depth and the counters.

test('past queue_max_messages the oldest waiting messages are dropped, counted and logged; the newest reach the remote', async (t) => {
  const mosquitto = await MosquittoProcess.start(t, ['persistence true', 'autosave_interval 0'], { persistent: true })
  const watcher = await subscribeForLater(t, mosquitto.url, 'readings/#')
  await mosquitto.stop()

  const { logger, lines } = capturedLog()
  const settings = bridgeSettings('cloud', mosquitto.url, [{ pattern: 'readings/#', direction: 'out' }], { queueMaxMessages: 5 })
  const site = await startBridgedBroker(t, [settings], 'site', { logger })
  const sensor = await mqttClient(t, site.url)
  for (let i = 0; i < 12; i++) await sensor.publishAsync('readings/t1', String(i), { qos: 1 })
  const state = site.broker.bridges!.states().get('cloud')!
  assert.equal(state.dropped, 7)
  assert.ok(
    lines.some((line) => line.startsWith('bridge cloud: queue full: dropped the oldest message, on readings/t1')),
    lines.join('\n')
  )

  await mosquitto.run()
  const received = watcher.collect()
  await until('the five newest at the remote', () => received.length >= 5, 10_000)
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.deepEqual(received, ['7', '8', '9', '10', '11'])
})

test('$SYS/broker/bridges/<name>/: state (retained, at once on a change), queue depth and counters', async (t) => {
  const mosquitto = await MosquittoProcess.start(t)
  const settings = bridgeSettings('cloud', mosquitto.url, [{ pattern: 'readings/#', direction: 'out' }])
  const site = await startBridgedBroker(t, [settings], 'site', { broker: { sysInterval: 1 } })
  await untilBridge(site.broker, 'cloud')
  const sensor = await mqttClient(t, site.url)
  await sensor.publishAsync('readings/t1', '1', { qos: 1 })
  await until('forwarded', () => site.broker.bridges!.states().get('cloud')!.forwardedOut === 1)

  const admin = await mqttClient(t, site.url)
  const inbox = new Inbox(admin)
  await admin.subscribeAsync('$SYS/broker/bridges/cloud/state', { qos: 0 })
  const retained = await inbox.takeOne()
  assert.equal(retained.payload.toString(), 'connected')
  assert.equal(retained.packet.retain, true)
  await mosquitto.stop()
  assert.equal((await inbox.takeOne(5000)).payload.toString(), 'disconnected')
  await sensor.publishAsync('readings/t1', '2', { qos: 1 })

  const figures = await mqttClient(t, site.url)
  const figuresInbox = new Inbox(figures)
  await figures.subscribeAsync('$SYS/broker/bridges/cloud/+/+', { qos: 0 })
  await until('the figures after the second message', () => {
    const last = new Map(figuresInbox.all.map((message) => [message.topic, message.payload.toString()]))
    return last.get('$SYS/broker/bridges/cloud/queue/depth') === '1' && last.get('$SYS/broker/bridges/cloud/messages/out') === '1'
  })
  await mosquitto.run()
  assert.equal((await inbox.takeOne(5000)).payload.toString(), 'connected')
})
