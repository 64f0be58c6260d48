import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { IPublishPacket } from 'mqtt-packet'
import { startBroker } from '../helpers/broker.js'
import { connectClient, connectRaw, nextOf, rawSubscribe } from '../helpers/flow-clients.js'
import { expectSilence } from '../helpers/silence.js'

// Overlapping subscriptions of one session: one copy at the highest granted QoS (3.1.1 §3.3.5,
// 5.0 §3.3.4 [MQTT-3.3.4-2]) carrying every matching Subscription Identifier (5.0 [MQTT-3.3.4-3..5]).

function subscriptionIds(packet: IPublishPacket): number[] {
  const ids = packet.properties?.subscriptionIdentifier
  return ids === undefined ? [] : ([] as number[]).concat(ids).sort((a, b) => a - b)
}

test('MQTT 5.0: a/+ (QoS 0, id 1) and a/# (QoS 2, id 2) → one copy at QoS 2 with identifiers 1 and 2', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 5)
  assert.deepEqual(await rawSubscribe(c, [{ topic: 'a/+', qos: 0 }], 1, { subscriptionIdentifier: 1 }), [0])
  assert.deepEqual(await rawSubscribe(c, [{ topic: 'a/#', qos: 2 }], 2, { subscriptionIdentifier: 2 }), [2])
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })

  await pub.client.publishAsync('a/b', 'both', { qos: 2 })
  const both = await nextOf(c.raw, 'publish')
  assert.deepEqual([both.topic, both.payload.toString(), both.qos], ['a/b', 'both', 2])
  assert.deepEqual(subscriptionIds(both), [1, 2])
  c.send({ cmd: 'pubrec', messageId: both.messageId })
  assert.equal((await nextOf(c.raw, 'pubrel')).messageId, both.messageId)
  c.send({ cmd: 'pubcomp', messageId: both.messageId })
  await expectSilence(c.raw)

  // A QoS 1 publish is delivered at min(1, 2) = 1, still once.
  await pub.client.publishAsync('a/c', 'qos1', { qos: 1 })
  const q1 = await nextOf(c.raw, 'publish')
  assert.deepEqual([q1.topic, q1.payload.toString(), q1.qos], ['a/c', 'qos1', 1])
  assert.deepEqual(subscriptionIds(q1), [1, 2])
  c.send({ cmd: 'puback', messageId: q1.messageId })
  await expectSilence(c.raw)

  // a/b/c matches only a/#: only identifier 2.
  await pub.client.publishAsync('a/b/c', 'deep', { qos: 0 })
  const deep = await nextOf(c.raw, 'publish')
  assert.deepEqual([deep.topic, deep.payload.toString(), deep.qos], ['a/b/c', 'deep', 0])
  assert.deepEqual(subscriptionIds(deep), [2])
  await expectSilence(c.raw)
})

test('MQTT 5.0: the same overlap with mqtt.js delivers one message with both identifiers', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const sub = await connectClient(t, running.url, { protocolVersion: 5 })
  await sub.client.subscribeAsync('a/+', { qos: 0, properties: { subscriptionIdentifier: 1 } })
  await sub.client.subscribeAsync('a/#', { qos: 2, properties: { subscriptionIdentifier: 2 } })
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })

  await pub.client.publishAsync('a/x', 'once', { qos: 2 })
  const got = await sub.inbox.takeOne()
  assert.deepEqual([got.topic, got.payload.toString(), got.packet.qos], ['a/x', 'once', 2])
  assert.deepEqual(subscriptionIds(got.packet), [1, 2])
  await sub.inbox.none()
})

test('MQTT 3.1.1: overlapping a/+ (QoS 0) and a/# (QoS 2) deliver one copy at QoS 2', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 4)
  assert.deepEqual(await rawSubscribe(c, [{ topic: 'a/+', qos: 0 }], 1), [0])
  assert.deepEqual(await rawSubscribe(c, [{ topic: 'a/#', qos: 2 }], 2), [2])
  const pub = await connectClient(t, running.url, { protocolVersion: 4 })

  await pub.client.publishAsync('a/b', 'both', { qos: 2 })
  const both = await nextOf(c.raw, 'publish')
  assert.deepEqual([both.topic, both.payload.toString(), both.qos], ['a/b', 'both', 2])
  c.send({ cmd: 'pubrec', messageId: both.messageId })
  assert.equal((await nextOf(c.raw, 'pubrel')).messageId, both.messageId)
  c.send({ cmd: 'pubcomp', messageId: both.messageId })
  await expectSilence(c.raw)
})

test('MQTT 3.1.1: overlap in one SUBSCRIBE also gives one copy at the highest QoS', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const sub = await connectClient(t, running.url, { protocolVersion: 4 })
  await sub.client.subscribeAsync({ 'o/+/c': { qos: 1 }, 'o/#': { qos: 0 }, '+/b/+': { qos: 0 } })
  const pub = await connectClient(t, running.url, { protocolVersion: 4 })

  await pub.client.publishAsync('o/b/c', 'three-ways', { qos: 2 })
  const got = await sub.inbox.takeOne()
  assert.deepEqual([got.topic, got.payload.toString(), got.packet.qos], ['o/b/c', 'three-ways', 1])
  await sub.inbox.none()
})
