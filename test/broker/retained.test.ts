import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/broker.js'
import { connectClient } from '../helpers/flow-clients.js'
import { sleep } from '../helpers/silence.js'

// Retained messages: MQTT 3.1.1 §3.3.1.3, MQTT 5.0 §3.3.1.3 and §3.8.3.1 (Retain Handling,
// Retain As Published, No Local), Message Expiry on retained messages (5.0 §3.3.2.3.3).

test('a retained message is kept per topic and sent with RETAIN 1 to a new matching subscription', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const pub = await connectClient(t, running.url, { protocolVersion: 4 })
  await pub.client.publishAsync('r/1', 'one', { qos: 1, retain: true })
  await pub.client.publishAsync('r/2', 'two', { qos: 1, retain: true })

  const sub = await connectClient(t, running.url, { protocolVersion: 4 })
  await sub.client.subscribeAsync('r/1', { qos: 1 })
  const got = await sub.inbox.takeOne()
  assert.deepEqual([got.topic, got.payload.toString(), got.packet.retain, got.packet.qos], ['r/1', 'one', true, 1])
  await sub.inbox.none()
})

test('a newer retained message replaces the older one', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })
  await pub.client.publishAsync('r/x', 'old', { qos: 1, retain: true })
  await pub.client.publishAsync('r/x', 'new', { qos: 0, retain: true })
  await pub.client.publishAsync('sync', 'barrier', { qos: 1 })

  const sub = await connectClient(t, running.url, { protocolVersion: 5 })
  await sub.client.subscribeAsync('r/x', { qos: 2 })
  const got = await sub.inbox.takeOne()
  // Delivered at min(stored QoS 0, granted 2) = 0.
  assert.deepEqual([got.topic, got.payload.toString(), got.packet.retain, got.packet.qos], ['r/x', 'new', true, 0])
  await sub.inbox.none()
})

test('an empty retained payload clears the retained message', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const pub = await connectClient(t, running.url, { protocolVersion: 4 })
  await pub.client.publishAsync('r/c', 'soon gone', { qos: 1, retain: true })
  await pub.client.publishAsync('r/c', '', { qos: 1, retain: true })

  const sub = await connectClient(t, running.url, { protocolVersion: 4 })
  await sub.client.subscribeAsync('r/#', { qos: 1 })
  // [MQTT-3.3.1-10], [MQTT-3.3.1-11]: nothing retained is left, and the empty message is not retained.
  await sub.inbox.none()
})

test('a wildcard subscription receives every matching retained message', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const pub = await connectClient(t, running.url, { protocolVersion: 4 })
  await pub.client.publishAsync('w/a', 'A', { qos: 1, retain: true })
  await pub.client.publishAsync('w/b/c', 'BC', { qos: 1, retain: true })
  await pub.client.publishAsync('x/y', 'XY', { qos: 1, retain: true })
  await pub.client.publishAsync('w', 'W', { qos: 1, retain: true })

  const sub = await connectClient(t, running.url, { protocolVersion: 4 })
  await sub.client.subscribeAsync('w/#', { qos: 1 })
  const got = await sub.inbox.take(3)
  assert.deepEqual(got.map((m) => [m.topic, m.payload.toString(), m.packet.retain]).sort(), [
    ['w', 'W', true],
    ['w/a', 'A', true],
    ['w/b/c', 'BC', true]
  ])
  await sub.inbox.none()

  const one = await connectClient(t, running.url, { protocolVersion: 4 })
  await one.client.subscribeAsync('+/a', { qos: 0 })
  const a = await one.inbox.takeOne()
  assert.deepEqual([a.topic, a.payload.toString(), a.packet.retain], ['w/a', 'A', true])
  await one.inbox.none()
})

for (const protocolVersion of [4, 5] as const) {
  test(`MQTT ${protocolVersion === 5 ? '5.0' : '3.1.1'}: a retained publish reaches an existing subscriber with RETAIN 0`, async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const sub = await connectClient(t, running.url, { protocolVersion })
    await sub.client.subscribeAsync('live/t', { qos: 1 })
    const pub = await connectClient(t, running.url, { protocolVersion })

    await pub.client.publishAsync('live/t', 'now', { qos: 1, retain: true })
    // 3.1.1 [MQTT-3.3.1-9]; 5.0 [MQTT-3.3.1-12] (Retain As Published 0).
    const got = await sub.inbox.takeOne()
    assert.deepEqual([got.topic, got.payload.toString(), got.packet.retain], ['live/t', 'now', false])
    await sub.inbox.none()
  })
}

test('MQTT 5.0 Retain Handling 0 sends the retained message on every SUBSCRIBE', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })
  await pub.client.publishAsync('rh/t', 'kept', { qos: 1, retain: true })
  const sub = await connectClient(t, running.url, { protocolVersion: 5 })

  await sub.client.subscribeAsync('rh/t', { qos: 1, rh: 0 })
  assert.equal((await sub.inbox.takeOne()).payload.toString(), 'kept')
  await sub.client.subscribeAsync('rh/t', { qos: 1, rh: 0 })
  const again = await sub.inbox.takeOne()
  assert.deepEqual([again.payload.toString(), again.packet.retain], ['kept', true])
  await sub.inbox.none()
})

test('MQTT 5.0 Retain Handling 1 sends the retained message only if the subscription did not exist', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })
  await pub.client.publishAsync('rh/t', 'kept', { qos: 1, retain: true })
  const sub = await connectClient(t, running.url, { protocolVersion: 5 })

  await sub.client.subscribeAsync('rh/t', { qos: 1, rh: 1 })
  const first = await sub.inbox.takeOne()
  assert.deepEqual([first.payload.toString(), first.packet.retain], ['kept', true])
  await sub.client.subscribeAsync('rh/t', { qos: 1, rh: 1 })
  await sub.inbox.none()
})

test('MQTT 5.0 Retain Handling 2 never sends retained messages, but live ones still arrive', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })
  await pub.client.publishAsync('rh/t', 'kept', { qos: 1, retain: true })
  const sub = await connectClient(t, running.url, { protocolVersion: 5 })

  await sub.client.subscribeAsync('rh/t', { qos: 1, rh: 2 })
  await sub.inbox.none()
  await pub.client.publishAsync('rh/t', 'live', { qos: 1 })
  const live = await sub.inbox.takeOne()
  assert.deepEqual([live.payload.toString(), live.packet.retain], ['live', false])
})

test('MQTT 5.0 Retain As Published keeps RETAIN 1 on live messages that were published retained', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const rap = await connectClient(t, running.url, { protocolVersion: 5 })
  await rap.client.subscribeAsync('rap/t', { qos: 1, rap: true })
  const plain = await connectClient(t, running.url, { protocolVersion: 5 })
  await plain.client.subscribeAsync('rap/t', { qos: 1, rap: false })
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })

  await pub.client.publishAsync('rap/t', 'retained', { qos: 1, retain: true })
  await pub.client.publishAsync('rap/t', 'not retained', { qos: 1, retain: false })

  // [MQTT-3.3.1-13]
  const got = await rap.inbox.take(2)
  assert.deepEqual(
    got.map((m) => [m.payload.toString(), m.packet.retain]),
    [
      ['retained', true],
      ['not retained', false]
    ]
  )
  const plainGot = await plain.inbox.take(2)
  assert.deepEqual(
    plainGot.map((m) => [m.payload.toString(), m.packet.retain]),
    [
      ['retained', false],
      ['not retained', false]
    ]
  )
})

test("MQTT 5.0 No Local: the publisher's own message is not delivered back to it", async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const self = await connectClient(t, running.url, { protocolVersion: 5 })
  await self.client.subscribeAsync('nl/t', { qos: 1, nl: true })
  const other = await connectClient(t, running.url, { protocolVersion: 5 })
  await other.client.subscribeAsync('nl/t', { qos: 1 })

  // [MQTT-3.8.3-3]
  await self.client.publishAsync('nl/t', 'mine', { qos: 1 })
  assert.equal((await other.inbox.takeOne()).payload.toString(), 'mine')
  await self.inbox.none()

  await other.client.publishAsync('nl/t', 'theirs', { qos: 1 })
  assert.equal((await self.inbox.takeOne()).payload.toString(), 'theirs')
  assert.equal((await other.inbox.takeOne()).payload.toString(), 'theirs')
})

test('MQTT 5.0: a retained message expires with its Message Expiry Interval; before that the remaining time is sent', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })
  await pub.client.publishAsync('e/short', 'short', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } })
  await pub.client.publishAsync('e/long', 'long', { qos: 1, retain: true, properties: { messageExpiryInterval: 60 } })

  const early = await connectClient(t, running.url, { protocolVersion: 5 })
  await early.client.subscribeAsync('e/#', { qos: 1 })
  const before = await early.inbox.take(2)
  const byTopic = new Map(before.map((m) => [m.topic, m.packet]))
  // [MQTT-3.3.2-6]: the received value minus the time spent waiting in the server.
  const shortLeft = byTopic.get('e/short')?.properties?.messageExpiryInterval
  const longLeft = byTopic.get('e/long')?.properties?.messageExpiryInterval
  assert.ok(shortLeft !== undefined && shortLeft <= 1, `short expiry sent as ${shortLeft}`)
  assert.ok(longLeft !== undefined && longLeft <= 60 && longLeft >= 58, `long expiry sent as ${longLeft}`)

  await sleep(2100)
  const late = await connectClient(t, running.url, { protocolVersion: 5 })
  await late.client.subscribeAsync('e/#', { qos: 1 })
  const after = await late.inbox.takeOne()
  assert.deepEqual([after.topic, after.payload.toString(), after.packet.retain], ['e/long', 'long', true])
  const remaining = after.packet.properties?.messageExpiryInterval
  assert.ok(remaining !== undefined && remaining <= 59 && remaining >= 56, `long expiry sent as ${remaining} after 2 s`)
  await late.inbox.none()
})
