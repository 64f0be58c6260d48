import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/broker.js'
import { connectClient, goOffline } from '../helpers/flow-clients.js'
import { sleep } from '../helpers/silence.js'

// Offline queues of persistent sessions and their limits (MQTT 3.1.1 §3.1.2.4, MQTT 5.0 §4.1:
// QoS 1/2 messages are stored for an offline session; QoS 0 only MAY be; the queue is bounded).

const legacy = (clientId: string) => ({ protocolVersion: 4 as const, clientId, clean: false })
const v5 = (clientId: string) => ({ protocolVersion: 5 as const, clientId, clean: false, properties: { sessionExpiryInterval: 300 } })

test('maxQueuedMessages 5: of 10 QoS 1 messages sent while offline, the newest 5 arrive in order', async (t) => {
  const running = await startBroker({ maxQueuedMessages: 5 })
  t.after(() => running.close())
  const first = await connectClient(t, running.url, legacy('ql-count'))
  await first.client.subscribeAsync('ql/#', { qos: 1 })
  await goOffline(first.client)

  const pub = await connectClient(t, running.url, { protocolVersion: 4 })
  for (let i = 0; i < 10; i++) await pub.client.publishAsync('ql/t', `m${i}`, { qos: 1 })

  const again = await connectClient(t, running.url, legacy('ql-count'))
  assert.equal(again.connack.sessionPresent, true)
  const got = await again.inbox.take(5)
  assert.deepEqual(
    got.map((m) => m.payload.toString()),
    ['m5', 'm6', 'm7', 'm8', 'm9']
  )
  for (const m of got) assert.deepEqual([m.topic, m.packet.qos], ['ql/t', 1])
  await again.inbox.none()
})

test('maxQueuedBytes: the queue keeps the newest messages whose payloads fit', async (t) => {
  // Ten 10-byte payloads against a 55-byte budget: exactly five fit.
  const running = await startBroker({ maxQueuedBytes: 55 })
  t.after(() => running.close())
  const first = await connectClient(t, running.url, v5('ql-bytes'))
  await first.client.subscribeAsync('qb/#', { qos: 2 })
  await goOffline(first.client)

  const pub = await connectClient(t, running.url, { protocolVersion: 5 })
  const sent = Array.from({ length: 10 }, (_, i) => `payload-0${i}`)
  for (const p of sent) await pub.client.publishAsync('qb/t', p, { qos: 2 })

  const again = await connectClient(t, running.url, v5('ql-bytes'))
  assert.equal(again.connack.sessionPresent, true)
  const got = await again.inbox.take(5)
  assert.deepEqual(
    got.map((m) => m.payload.toString()),
    sent.slice(5)
  )
  for (const m of got) assert.equal(m.packet.qos, 2)
  await again.inbox.none()
})

test('QoS 0 messages are not queued for an offline session by default', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const first = await connectClient(t, running.url, legacy('q0-off'))
  await first.client.subscribeAsync('q0/#', { qos: 1 })
  await goOffline(first.client)

  const pub = await connectClient(t, running.url, { protocolVersion: 4 })
  await pub.client.publishAsync('q0/t', 'zero', { qos: 0 })
  await pub.client.publishAsync('q0/t', 'one', { qos: 1 })

  const again = await connectClient(t, running.url, legacy('q0-off'))
  assert.equal(again.connack.sessionPresent, true)
  const got = await again.inbox.takeOne()
  assert.deepEqual([got.payload.toString(), got.packet.qos], ['one', 1])
  await again.inbox.none()
})

test('queueQos0: QoS 0 messages are queued for an offline session, in order with the others', async (t) => {
  const running = await startBroker({ queueQos0: true })
  t.after(() => running.close())
  const first = await connectClient(t, running.url, v5('q0-on'))
  await first.client.subscribeAsync('q0/#', { qos: 1 })
  await goOffline(first.client)

  const pub = await connectClient(t, running.url, { protocolVersion: 5 })
  await pub.client.publishAsync('q0/t', 'zero', { qos: 0 })
  await pub.client.publishAsync('q0/t', 'one', { qos: 1 })

  const again = await connectClient(t, running.url, v5('q0-on'))
  assert.equal(again.connack.sessionPresent, true)
  const got = await again.inbox.take(2)
  assert.deepEqual(
    got.map((m) => [m.payload.toString(), m.packet.qos]),
    [
      ['zero', 0],
      ['one', 1]
    ]
  )
  await again.inbox.none()
})

test('legacySessionExpiry 1: a 3.1.1 persistent session offline for 2 s is gone with its queued messages', async (t) => {
  const running = await startBroker({ legacySessionExpiry: 1 })
  t.after(() => running.close())
  const first = await connectClient(t, running.url, legacy('legacy-exp'))
  await first.client.subscribeAsync('le/#', { qos: 1 })
  await goOffline(first.client)

  const pub = await connectClient(t, running.url, { protocolVersion: 4 })
  await pub.client.publishAsync('le/t', 'queued', { qos: 1 })
  await sleep(2100)

  const again = await connectClient(t, running.url, legacy('legacy-exp'))
  assert.equal(again.connack.sessionPresent, false)
  await again.inbox.none()
  // The subscription went with the session.
  await pub.client.publishAsync('le/t', 'after', { qos: 1 })
  await again.inbox.none()
})

test('legacySessionExpiry not reached: the 3.1.1 session and its queued message survive a short absence', async (t) => {
  const running = await startBroker({ legacySessionExpiry: 5 })
  t.after(() => running.close())
  const first = await connectClient(t, running.url, legacy('legacy-keep'))
  await first.client.subscribeAsync('le/#', { qos: 1 })
  await goOffline(first.client)

  const pub = await connectClient(t, running.url, { protocolVersion: 4 })
  await pub.client.publishAsync('le/t', 'queued', { qos: 1 })

  const again = await connectClient(t, running.url, legacy('legacy-keep'))
  assert.equal(again.connack.sessionPresent, true)
  const got = await again.inbox.takeOne()
  assert.deepEqual([got.topic, got.payload.toString()], ['le/t', 'queued'])
})
