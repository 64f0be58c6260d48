import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { IPublishPacket } from 'mqtt-packet'
import { startBroker } from '../../helpers/broker.js'
import { connectClient, connectRaw, nextOf, rawSubscribe } from '../../helpers/flow-clients.js'
import { persistentSession } from '../../helpers/persistent-session.js'
import { expectDisconnect, uniqueId } from '../../helpers/session-clients.js'
import { expectSilence, sleep } from '../../helpers/silence.js'
import { recordBytes } from '../../helpers/wire-recorder.js'

/** MQTT 5.0 PUBLISH delivery: DUP and packet ids, the QoS 1 and 2 flows, Receive Maximum, ordering, RETAIN 0. */

function publish(topic: string, payload: string | Buffer, qos: 0 | 1 | 2, extra: Partial<IPublishPacket> = {}): IPublishPacket {
  return { cmd: 'publish', topic, payload: Buffer.from(payload), qos, dup: false, retain: false, ...extra }
}

test('QoS 0 goes out with DUP 0 and no packet id; a QoS 1 PUBLISH that came in with DUP 1 goes out new with DUP 0 [MQTT-4.3.1-1, MQTT-2.2.1-2, MQTT-3.3.1-2, MQTT-3.3.1-3]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const sub = await connectRaw(t, broker.port, 5)
  assert.deepEqual(await rawSubscribe(sub, [{ topic: 'dup/#', qos: 1 }]), [1])
  const pub = await connectRaw(t, broker.port, 5)
  pub.send(publish('dup/0', 'zero', 0))
  const zero = await nextOf(sub.raw, 'publish')
  assert.deepEqual([zero.qos, zero.dup, zero.messageId], [0, false, undefined])

  pub.send(publish('dup/1', 'resent by its publisher', 1, { messageId: 5, dup: true }))
  assert.equal((await nextOf(pub.raw, 'puback')).messageId, 5)
  const one = await nextOf(sub.raw, 'publish')
  assert.deepEqual([one.topic, one.qos, one.dup], ['dup/1', 1, false])
  assert.ok(one.messageId, 'a non-zero packet id')
})

test('a new QoS 1 and QoS 2 PUBLISH to a subscriber has DUP 0 and a non-zero packet id, distinct while both are in flight [MQTT-4.3.2-1, MQTT-4.3.2-2, MQTT-4.3.3-1, MQTT-4.3.3-2, MQTT-2.2.1-4]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const sub = await connectRaw(t, broker.port, 5)
  assert.deepEqual(await rawSubscribe(sub, [{ topic: 'new/#', qos: 2 }]), [2])
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await pub.client.publishAsync('new/1', 'one', { qos: 1 })
  await pub.client.publishAsync('new/2', 'two', { qos: 2 })
  const one = await nextOf(sub.raw, 'publish')
  const two = await nextOf(sub.raw, 'publish')
  assert.deepEqual([one.qos, one.dup, two.qos, two.dup], [1, false, 2, false])
  assert.ok(one.messageId && two.messageId && one.messageId !== two.messageId, `ids ${one.messageId} and ${two.messageId}`)
})

test('after PUBACK the same packet id from the client is a new message, delivered again [MQTT-4.3.2-4, MQTT-4.3.2-5]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const sub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await sub.client.subscribeAsync('again/t', { qos: 1 })
  const pub = await connectRaw(t, broker.port, 5)
  pub.send(publish('again/t', 'first', 1, { messageId: 9 }))
  assert.equal((await nextOf(pub.raw, 'puback')).messageId, 9)
  pub.send(publish('again/t', 'second', 1, { messageId: 9, dup: true }))
  assert.equal((await nextOf(pub.raw, 'puback')).messageId, 9)
  const got = await sub.inbox.take(2)
  assert.deepEqual(
    got.map((m) => m.payload.toString()),
    ['first', 'second']
  )
})

test('an unacknowledged QoS 1 PUBLISH is not resent while the connection stays open [MQTT-4.4.0-1]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const sub = await connectRaw(t, broker.port, 5)
  assert.deepEqual(await rawSubscribe(sub, [{ topic: 'wait/t', qos: 1 }]), [1])
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await pub.client.publishAsync('wait/t', 'once', { qos: 1 })
  const got = await nextOf(sub.raw, 'publish')
  await expectSilence(sub.raw, 1500)
  sub.send({ cmd: 'puback', messageId: got.messageId! })
})

test("a subscriber's PUBACK 0x80 and PUBREC 0x80 end the delivery: no PUBREL, nothing resent on resume [MQTT-4.4.0-2]", async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const session = persistentSession(uniqueId('refuser'))
  const sub = await connectRaw(t, broker.port, 5, session)
  assert.deepEqual(await rawSubscribe(sub, [{ topic: 'refuse/#', qos: 2 }]), [2])
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await pub.client.publishAsync('refuse/1', 'one', { qos: 1 })
  await pub.client.publishAsync('refuse/2', 'two', { qos: 2 })
  const one = await nextOf(sub.raw, 'publish')
  sub.send({ cmd: 'puback', messageId: one.messageId!, reasonCode: 0x80 })
  const two = await nextOf(sub.raw, 'publish')
  sub.send({ cmd: 'pubrec', messageId: two.messageId!, reasonCode: 0x80 })
  await expectSilence(sub.raw)
  sub.raw.destroy()

  const resumed = await connectRaw(t, broker.port, 5, session)
  assert.equal(resumed.connack.sessionPresent, true)
  await expectSilence(resumed.raw)
})

test('Receive Maximum 2: the broker keeps 2 unacknowledged QoS 1 PUBLISHes in flight, answers PINGREQ and SUBSCRIBE meanwhile, and sends the third after a PUBACK [MQTT-3.3.4-9, MQTT-3.3.4-10, MQTT-4.9.0-1, MQTT-4.9.0-2, MQTT-4.9.0-3]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const sub = await connectRaw(t, broker.port, 5, { properties: { receiveMaximum: 2 } })
  assert.deepEqual(await rawSubscribe(sub, [{ topic: 'quota/t', qos: 1 }]), [1])
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  for (const n of [1, 2, 3]) await pub.client.publishAsync('quota/t', `m${n}`, { qos: 1 })
  const first = await nextOf(sub.raw, 'publish')
  const second = await nextOf(sub.raw, 'publish')
  assert.deepEqual([first.payload.toString(), second.payload.toString()], ['m1', 'm2'])
  await expectSilence(sub.raw)

  sub.send({ cmd: 'pingreq' })
  await nextOf(sub.raw, 'pingresp')
  assert.deepEqual(await rawSubscribe(sub, [{ topic: 'quota/other', qos: 0 }], 2), [0])
  sub.send({ cmd: 'puback', messageId: first.messageId! })
  const third = await nextOf(sub.raw, 'publish')
  assert.equal(third.payload.toString(), 'm3')
})

test('QoS 1 messages from one publisher reach a subscriber in the order sent [MQTT-4.6.0-5, MQTT-4.6.0-6]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const sub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await sub.client.subscribeAsync('order/t', { qos: 1 })
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  const sent = Array.from({ length: 50 }, (_, n) => `m${n}`)
  await Promise.all(sent.map((payload) => pub.client.publishAsync('order/t', payload, { qos: 1 })))
  const got = await sub.inbox.take(sent.length)
  assert.deepEqual(
    got.map((m) => m.payload.toString()),
    sent
  )
})

test('inbound QoS 2 with Message Expiry 1 s: a PUBREL after the expiry still gets PUBCOMP [MQTT-4.3.3-13]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const pub = await connectRaw(t, broker.port, 5)
  pub.send(publish('expire/t', 'short-lived', 2, { messageId: 3, properties: { messageExpiryInterval: 1 } }))
  assert.equal((await nextOf(pub.raw, 'pubrec')).messageId, 3)
  await sleep(1500)
  pub.send({ cmd: 'pubrel', messageId: 3 })
  const pubcomp = await nextOf(pub.raw, 'pubcomp')
  assert.deepEqual([pubcomp.messageId, pubcomp.reasonCode ?? 0], [3, 0])
})

test('a PUBREL for an unknown packet id gets PUBCOMP 0x92 Packet Identifier not found [MQTT-3.7.2-1]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const pub = await connectRaw(t, broker.port, 5)
  pub.send({ cmd: 'pubrel', messageId: 42 })
  const pubcomp = await nextOf(pub.raw, 'pubcomp')
  assert.deepEqual([pubcomp.messageId, pubcomp.reasonCode], [42, 0x92])
})

test('a PUBREL whose reserved flags are not 0010 is malformed: DISCONNECT 0x81, then the close [MQTT-3.6.1-1, MQTT-2.1.3-1]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const pub = await connectRaw(t, broker.port, 5)
  pub.raw.sendBytes([0x60, 0x02, 0x00, 0x01])
  await expectDisconnect(pub.raw, 0x81)
})

test('a PUBLISH with RETAIN 0 neither stores nor replaces the retained message [MQTT-3.3.1-8]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await pub.client.publishAsync('keep/t', 'retained', { qos: 1, retain: true })
  await pub.client.publishAsync('keep/t', 'live only', { qos: 1 })
  await pub.client.publishAsync('keep/other', 'live only', { qos: 1 })
  const sub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await sub.client.subscribeAsync('keep/#', { qos: 1 })
  const got = await sub.inbox.takeOne()
  assert.deepEqual([got.topic, got.payload.toString(), got.packet.retain], ['keep/t', 'retained', true])
  await sub.inbox.none()
})

test('a QoS 0 PUBLISH without properties carries Property Length 0, and a 200-byte message goes out with a 2-byte Remaining Length [MQTT-2.2.2-1, MQTT-1.5.5-1]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const sub = await connectRaw(t, broker.port, 5)
  assert.deepEqual(await rawSubscribe(sub, [{ topic: 'w/t', qos: 0 }]), [0])
  const bytes = recordBytes(sub.raw)
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await pub.client.publishAsync('w/t', Buffer.alloc(200, 0x61), { qos: 0 })
  await nextOf(sub.raw, 'publish')
  const wire = bytes()
  // 2 (topic length) + 3 (topic) + 1 (Property Length) + 200 = 206 = 0xCE 0x01 as a Variable Byte Integer.
  assert.deepEqual([...wire.subarray(0, 8)], [0x30, 0xce, 0x01, 0x00, 0x03, 0x77, 0x2f, 0x74])
  assert.equal(wire[8], 0x00, 'Property Length 0')
  assert.equal(wire.length, 3 + 206)
})
