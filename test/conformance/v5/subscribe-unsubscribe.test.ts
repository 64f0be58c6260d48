import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../../helpers/broker.js'
import { connectClient, connectRaw, nextOf, rawSubscribe } from '../../helpers/flow-clients.js'
import { persistentSession } from '../../helpers/persistent-session.js'
import { expectDisconnect, uniqueId } from '../../helpers/session-clients.js'
import { expectSilence, QUIET_MS, sleep } from '../../helpers/silence.js'

/** MQTT 5.0 SUBSCRIBE and UNSUBSCRIBE: replacement, No Local, reserved bits, shared subscriptions, exact matching. */

test('a SUBSCRIBE to a filter already held replaces the subscription: one copy, at the new QoS [MQTT-3.8.4-3, MQTT-3.8.4-4]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const sub = await connectRaw(t, broker.port, 5)
  assert.deepEqual(await rawSubscribe(sub, [{ topic: 'replace/#', qos: 0 }]), [0])
  assert.deepEqual(await rawSubscribe(sub, [{ topic: 'replace/#', qos: 1 }], 2), [1])
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await pub.client.publishAsync('replace/t', 'once', { qos: 1 })
  const got = await nextOf(sub.raw, 'publish')
  assert.deepEqual([got.payload.toString(), got.qos], ['once', 1])
  sub.send({ cmd: 'puback', messageId: got.messageId! })
  await expectSilence(sub.raw)
})

test('No Local: a client does not get its own message back; another subscriber does [MQTT-3.8.3-3]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const own = await connectRaw(t, broker.port, 5)
  assert.deepEqual(await rawSubscribe(own, [{ topic: 'local/t', qos: 1, nl: true }]), [1])
  const other = await connectClient(t, broker.url, { protocolVersion: 5 })
  await other.client.subscribeAsync('local/t', { qos: 1 })
  own.send({ cmd: 'publish', topic: 'local/t', payload: Buffer.from('mine'), qos: 1, messageId: 1, dup: false, retain: false })
  assert.equal((await nextOf(own.raw, 'puback')).messageId, 1)
  assert.equal((await other.inbox.takeOne()).payload.toString(), 'mine')
  await expectSilence(own.raw)
})

test('No Local on a shared subscription is a Protocol Error: DISCONNECT 0x82 [MQTT-3.8.3-4]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const sub = await connectRaw(t, broker.port, 5)
  sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g/local/t', qos: 1, nl: true }] })
  await expectDisconnect(sub.raw, 0x82)
})

test('reserved bits set in the Subscription Options are malformed: DISCONNECT 0x81 [MQTT-3.8.3-5]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const sub = await connectRaw(t, broker.port, 5)
  // SUBSCRIBE id 1, no properties, filter "a/b", options 0xC1: QoS 1 with the two reserved bits set.
  sub.raw.sendBytes([0x82, 0x09, 0x00, 0x01, 0x00, 0x00, 0x03, 0x61, 0x2f, 0x62, 0xc1])
  await expectDisconnect(sub.raw, 0x81)
})

test('an UNSUBSCRIBE whose reserved flags are not 0010 is malformed: DISCONNECT 0x81 [MQTT-3.10.1-1, MQTT-2.1.3-1]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const sub = await connectRaw(t, broker.port, 5)
  sub.raw.sendBytes([0xa0, 0x08, 0x00, 0x01, 0x00, 0x00, 0x03, 0x61, 0x2f, 0x62])
  await expectDisconnect(sub.raw, 0x81)
})

test("an unsubscribed filter's QoS 1 delivery already in flight is still completed, on resume too; nothing new follows [MQTT-3.10.4-3]", async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const session = persistentSession(uniqueId('unsub'))
  const sub = await connectRaw(t, broker.port, 5, session)
  assert.deepEqual(await rawSubscribe(sub, [{ topic: 'leave/t', qos: 1 }]), [1])
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await pub.client.publishAsync('leave/t', 'in flight', { qos: 1 })
  const first = await nextOf(sub.raw, 'publish')
  sub.send({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['leave/t'] })
  assert.deepEqual((await nextOf(sub.raw, 'unsuback')).granted, [0])
  sub.raw.destroy()

  await pub.client.publishAsync('leave/t', 'after the unsubscribe', { qos: 1 })
  const resumed = await connectRaw(t, broker.port, 5, session)
  const again = await nextOf(resumed.raw, 'publish')
  assert.deepEqual([again.payload.toString(), again.dup, again.messageId], ['in flight', true, first.messageId])
  resumed.send({ cmd: 'puback', messageId: again.messageId! })
  await expectSilence(resumed.raw)
})

test('a shared subscription granted QoS 0 gets a QoS 1 message at QoS 0 [MQTT-4.8.2-3]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const member = await connectRaw(t, broker.port, 5)
  assert.deepEqual(await rawSubscribe(member, [{ topic: '$share/g/granted/t', qos: 0 }]), [0])
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await pub.client.publishAsync('granted/t', 'downgraded', { qos: 1 })
  const got = await nextOf(member.raw, 'publish')
  assert.deepEqual([got.payload.toString(), got.qos], ['downgraded', 0])
})

test("a shared member's PUBACK 0x80 drops the message: no other member gets it [MQTT-4.8.2-6]", async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const members = [await connectRaw(t, broker.port, 5), await connectRaw(t, broker.port, 5)]
  for (const member of members) assert.deepEqual(await rawSubscribe(member, [{ topic: '$share/g/drop/t', qos: 1 }]), [1])
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await pub.client.publishAsync('drop/t', 'refused', { qos: 1 })
  await sleep(QUIET_MS)
  const received = members.map((member) => member.raw.pending())
  assert.deepEqual(received.map((packets) => packets.length).sort(), [0, 1], 'exactly one member got it')
  const chosen = members[received.findIndex((packets) => packets.length === 1)]!
  const [delivery] = received.flat()
  assert.equal(delivery?.cmd, 'publish')
  chosen.send({ cmd: 'puback', messageId: delivery.messageId!, reasonCode: 0x80 })
  for (const member of members) await expectSilence(member.raw)
})

test('matching does no normalisation: case, a trailing space and Unicode forms make different topics [MQTT-4.7.3-4]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const sub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await sub.client.subscribeAsync('Norm/Caf\u00e9', { qos: 1 })
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  for (const topic of ['norm/Caf\u00e9', 'Norm/Caf\u00e9 ', 'Norm/Cafe\u0301', 'Norm/Caf\u00e9']) {
    await pub.client.publishAsync(topic, topic, { qos: 1 })
  }
  const got = await sub.inbox.takeOne()
  assert.equal(got.topic, 'Norm/Caf\u00e9')
  await sub.inbox.none()
})

test('a topic holding U+FEFF keeps it: the subscriber sees it unchanged [MQTT-1.5.4-3]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const sub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await sub.client.subscribeAsync('bom/\ufeffx', { qos: 1 })
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await pub.client.publishAsync('bom/x', 'without', { qos: 1 })
  await pub.client.publishAsync('bom/\ufeffx', 'with', { qos: 1 })
  const got = await sub.inbox.takeOne()
  assert.deepEqual([got.topic, got.payload.toString()], ['bom/\ufeffx', 'with'])
  await sub.inbox.none()
})
