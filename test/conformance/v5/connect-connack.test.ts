import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqtt from 'mqtt-packet'
import { startBroker } from '../../helpers/broker.js'
import { connectClient, connectRaw, nextOf, rawSubscribe } from '../../helpers/flow-clients.js'
import { persistentSession } from '../../helpers/persistent-session.js'
import { RawClient } from '../../helpers/raw-client.js'
import { asConnack, connectPacket, expectClosedSilently, rawSession, uniqueId } from '../../helpers/session-clients.js'
import { expectSilence, sleep } from '../../helpers/silence.js'
import { recordBytes } from '../../helpers/wire-recorder.js'

/** MQTT 5.0 CONNECT and CONNACK: ordering, flags, Clean Start, client ids and what CONNACK leaves out. */

test('CONNACK is the first packet back, before the SUBACK of a SUBSCRIBE sent right behind CONNECT, and comes once [MQTT-3.2.0-1, MQTT-3.2.0-2, MQTT-3.1.4-5]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const raw = await RawClient.open(broker.port, 5)
  t.after(() => raw.destroy())
  const subscribe = { cmd: 'subscribe' as const, messageId: 7, subscriptions: [{ topic: 'first/t', qos: 1 as const }] }
  raw.sendBytes(Buffer.concat([mqtt.generate(connectPacket(5), { protocolVersion: 5 }), mqtt.generate(subscribe, { protocolVersion: 5 })]))
  assert.equal(asConnack(await raw.next()).reasonCode, 0)
  const suback = await nextOf(raw, 'suback')
  assert.deepEqual([suback.messageId, suback.granted], [7, [1]])
  raw.send({ cmd: 'pingreq' }, 5)
  await nextOf(raw, 'pingresp')
  await expectSilence(raw)
})

test('the CONNACK flags byte has its reserved bits 7-1 at 0, with and without a session present [MQTT-3.2.2-1]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const clientId = uniqueId('flags')
  for (const sessionPresent of [0, 1]) {
    const raw = await RawClient.open(broker.port, 5)
    t.after(() => raw.destroy())
    const bytes = recordBytes(raw)
    raw.send(connectPacket(5, persistentSession(clientId)), 5)
    await raw.next()
    const connack = bytes()
    assert.equal(connack[0], 0x20, 'CONNACK fixed header')
    assert.equal(connack[2], sessionPresent, 'flags byte: Session Present alone, bits 7-1 zero')
    raw.send({ cmd: 'disconnect' }, 5)
    await raw.waitClosed()
  }
})

test('Clean Start 1 discards a stored session: Session Present 0 and its subscriptions are gone [MQTT-3.1.2-4, MQTT-3.1.4-4, MQTT-3.2.2-2]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const clientId = uniqueId('clean')
  const first = await connectRaw(t, broker.port, 5, persistentSession(clientId))
  assert.deepEqual(await rawSubscribe(first, [{ topic: 'clean/t', qos: 1 }]), [1])
  first.send({ cmd: 'disconnect' })
  await first.raw.waitClosed()

  const fresh = await connectRaw(t, broker.port, 5, persistentSession(clientId, 60, true))
  assert.equal(fresh.connack.sessionPresent, false)
  const publisher = await connectClient(t, broker.url, { protocolVersion: 5 })
  await publisher.client.publishAsync('clean/t', 'to the old session', { qos: 1 })
  await expectSilence(fresh.raw)
})

test('Clean Start 0 without a stored session makes a new one: Session Present 0, then 1 on return [MQTT-3.1.2-6, MQTT-3.2.2-3]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const clientId = uniqueId('new')
  const first = await connectRaw(t, broker.port, 5, persistentSession(clientId))
  assert.equal(first.connack.sessionPresent, false)
  first.send({ cmd: 'disconnect' })
  await first.raw.waitClosed()
  const again = await connectRaw(t, broker.port, 5, persistentSession(clientId))
  assert.equal(again.connack.sessionPresent, true)
})

test('a refused CONNECT (0x8C) has Session Present 0, is followed by the close, and the PUBLISH sent behind it is not processed [MQTT-3.2.2-6, MQTT-3.2.2-7, MQTT-3.2.2-8, MQTT-3.1.4-6, MQTT-4.13.2-1]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const clientId = uniqueId('refused')
  const stored = await connectRaw(t, broker.port, 5, persistentSession(clientId))
  stored.send({ cmd: 'disconnect' })
  await stored.raw.waitClosed()
  const watcher = await connectClient(t, broker.url, { protocolVersion: 5 })
  await watcher.client.subscribeAsync('refused/#', { qos: 1 })

  const raw = await RawClient.open(broker.port, 5)
  t.after(() => raw.destroy())
  const connect = connectPacket(5, {
    ...persistentSession(clientId),
    properties: { sessionExpiryInterval: 60, authenticationMethod: 'SCRAM-SHA-1' }
  })
  const publish = {
    cmd: 'publish' as const,
    topic: 'refused/t',
    payload: Buffer.from('sneaked in'),
    qos: 0 as const,
    dup: false,
    retain: false
  }
  raw.sendBytes(Buffer.concat([mqtt.generate(connect, { protocolVersion: 5 }), mqtt.generate(publish, { protocolVersion: 5 })]))
  const connack = asConnack(await raw.next())
  assert.deepEqual([connack.reasonCode, connack.sessionPresent], [0x8c, false])
  assert.equal(await raw.waitClosed(), true, 'closed after the refusal')
  assert.deepEqual(raw.pending(), [], 'nothing after the CONNACK')
  await watcher.inbox.none()
})

test('a client id of 23 letters and digits is accepted as given [MQTT-3.1.3-5]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const clientId = 'aZ09bY18cX27dW36eV45fU5'
  assert.equal(clientId.length, 23)
  const { connack } = await rawSession(t, broker.port, 5, { clientId })
  assert.equal(connack.properties?.assignedClientIdentifier, undefined)
})

test('an assigned client id names the session: Clean Start 0 under it later finds the session [MQTT-3.1.3-7]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const first = await connectRaw(t, broker.port, 5, persistentSession('', 60, true))
  const assigned = first.connack.properties?.assignedClientIdentifier
  assert.ok(assigned, 'an Assigned Client Identifier')
  assert.deepEqual(await rawSubscribe(first, [{ topic: 'assigned/t', qos: 1 }]), [1])
  first.send({ cmd: 'disconnect' })
  await first.raw.waitClosed()

  const again = await connectRaw(t, broker.port, 5, persistentSession(assigned))
  assert.equal(again.connack.sessionPresent, true)
  const publisher = await connectClient(t, broker.url, { protocolVersion: 5 })
  await publisher.client.publishAsync('assigned/t', 'kept', { qos: 1 })
  const got = await nextOf(again.raw, 'publish')
  assert.equal(got.payload.toString(), 'kept')
})

test('without an Authentication Method the CONNACK has none and no AUTH is sent [MQTT-4.12.0-6]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const { client, connack } = await rawSession(t, broker.port, 5)
  assert.equal(connack.properties?.authenticationMethod, undefined)
  assert.equal(connack.properties?.authenticationData, undefined)
  await expectSilence(client)
})

test('Request Response Information 0: no Response Information in CONNACK [MQTT-3.1.2-28]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const { connack } = await rawSession(t, broker.port, 5, { properties: { requestResponseInformation: false } })
  assert.equal(connack.properties?.responseInformation, undefined)
})

test('a session with Session Expiry 1 s is kept while its connection stays open longer [MQTT-4.1.0-1]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const c = await connectRaw(t, broker.port, 5, persistentSession(uniqueId('open'), 1))
  assert.deepEqual(await rawSubscribe(c, [{ topic: 'open/t', qos: 1 }]), [1])
  await sleep(2000)
  const publisher = await connectClient(t, broker.url, { protocolVersion: 5 })
  await publisher.client.publishAsync('open/t', 'still subscribed', { qos: 1 })
  const got = await nextOf(c.raw, 'publish')
  assert.equal(got.payload.toString(), 'still subscribed')
})

test('a 5.0 CONNECT with the reserved flag set is closed with neither CONNACK nor DISCONNECT [MQTT-3.1.2-3, MQTT-3.1.4-1, MQTT-3.14.0-1]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const raw = await RawClient.open(broker.port, 5)
  t.after(() => raw.destroy())
  // "MQTT", level 5, flags 0x03 (Clean Start and the reserved bit), keepalive 0, no properties, client id "r".
  raw.sendBytes([0x10, 0x0e, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x05, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x72])
  await expectClosedSilently(raw)
})

test('the will keeps several User Properties, repeated names included, in their order [MQTT-3.1.3-10]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const watcher = await connectClient(t, broker.url, { protocolVersion: 5 })
  await watcher.client.subscribeAsync('will/order', { qos: 1 })
  const userProperties = { zulu: 'first', alpha: ['second', 'third'], mike: 'fourth' }
  const { client } = await rawSession(t, broker.port, 5, {
    will: { topic: 'will/order', payload: Buffer.from('gone'), qos: 1, retain: false, properties: { userProperties } }
  })
  client.destroy()
  const got = await watcher.inbox.takeOne()
  assert.deepEqual(Object.keys(got.packet.properties?.userProperties ?? {}), ['zulu', 'alpha', 'mike'])
  assert.deepEqual({ ...got.packet.properties?.userProperties }, userProperties)
})
