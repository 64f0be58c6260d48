import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/broker.js'
import { connectClient, connectRaw, goOffline, nextOf, rawSubscribe } from '../helpers/flow-clients.js'
import { RawClient } from '../helpers/raw-client.js'
import { expectSilence, sleep } from '../helpers/silence.js'

// MQTT 5.0 properties: Message Expiry (§3.3.2.3.3), pass-through properties (§3.3.2.3),
// Topic Alias (§3.3.2.3.4), Maximum Packet Size (§3.1.2.11.4), Request Problem Information
// (§3.1.2.11.7) and enhanced authentication (§4.12).

test('Message Expiry on queued messages: expired ones are dropped, the rest carry the remaining time', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const options = { protocolVersion: 5 as const, clientId: 'expiry-sub', clean: false, properties: { sessionExpiryInterval: 300 } }
  const first = await connectClient(t, running.url, options)
  await first.client.subscribeAsync('q/#', { qos: 1 })
  await goOffline(first.client)

  const pub = await connectClient(t, running.url, { protocolVersion: 5 })
  await pub.client.publishAsync('q/short', 'short', { qos: 1, properties: { messageExpiryInterval: 1 } })
  await pub.client.publishAsync('q/long', 'long', { qos: 1, properties: { messageExpiryInterval: 60 } })
  await sleep(2100)

  const again = await connectClient(t, running.url, options)
  assert.equal(again.connack.sessionPresent, true)
  const got = await again.inbox.takeOne()
  assert.deepEqual([got.topic, got.payload.toString(), got.packet.qos], ['q/long', 'long', 1])
  // [MQTT-3.3.2-5] drop when expired; [MQTT-3.3.2-6] send the received value minus the waiting time.
  const left = got.packet.properties?.messageExpiryInterval
  assert.ok(left !== undefined && left <= 59 && left >= 56, `expiry sent as ${left} after 2 s offline`)
  await again.inbox.none()
})

test('Content Type, Payload Format Indicator, Response Topic, Correlation Data and User Properties pass through unchanged', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const sub = await connectClient(t, running.url, { protocolVersion: 5 })
  await sub.client.subscribeAsync('props/t', { qos: 1 })
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })

  const properties = {
    payloadFormatIndicator: true,
    contentType: 'application/json; charset=utf-8',
    responseTopic: 'reply/to/me',
    correlationData: Buffer.from([0x00, 0x01, 0xfe, 0xff]),
    userProperties: { zeta: 'last?', alpha: ['one', 'two'], ünï: 'cödé' }
  }
  await pub.client.publishAsync('props/t', '{"t":21.5}', { qos: 1, properties })

  const got = await sub.inbox.takeOne()
  assert.equal(got.payload.toString(), '{"t":21.5}')
  const p = got.packet.properties ?? {}
  assert.equal(p.payloadFormatIndicator, true)
  assert.equal(p.contentType, properties.contentType)
  assert.equal(p.responseTopic, properties.responseTopic)
  assert.deepEqual(p.correlationData, properties.correlationData)
  // [MQTT-3.3.2-17], [MQTT-3.3.2-18]: unchanged and in the same order.
  // (mqtt-packet parses them into a null-prototype object.)
  assert.deepEqual({ ...p.userProperties }, properties.userProperties)
  assert.deepEqual(Object.keys(p.userProperties ?? {}), ['zeta', 'alpha', 'ünï'])

  // Without them, none are made up.
  await pub.client.publishAsync('props/t', 'bare', { qos: 1 })
  const bare = await sub.inbox.takeOne()
  assert.equal(bare.payload.toString(), 'bare')
  for (const key of ['payloadFormatIndicator', 'contentType', 'responseTopic', 'correlationData', 'userProperties'] as const) {
    assert.equal(bare.packet.properties?.[key], undefined, key)
  }
})

test('inbound Topic Alias: alias + topic sets it, alias + empty topic uses it; the subscriber sees the full topic', async (t) => {
  const running = await startBroker({ topicAliasMaximum: 8 })
  t.after(() => running.close())
  const sub = await connectClient(t, running.url, { protocolVersion: 5 })
  await sub.client.subscribeAsync('alias/#', { qos: 1 })
  const c = await connectRaw(t, running.port, 5)
  assert.equal(c.connack.properties?.topicAliasMaximum, 8)

  c.send({
    cmd: 'publish',
    topic: 'alias/long/topic',
    payload: Buffer.from('first'),
    qos: 1,
    dup: false,
    retain: false,
    messageId: 1,
    properties: { topicAlias: 1 }
  })
  assert.equal((await nextOf(c.raw, 'puback')).messageId, 1)
  c.send({
    cmd: 'publish',
    topic: '',
    payload: Buffer.from('second'),
    qos: 1,
    dup: false,
    retain: false,
    messageId: 2,
    properties: { topicAlias: 1 }
  })
  assert.equal((await nextOf(c.raw, 'puback')).messageId, 2)
  // Re-mapping the alias to another topic is allowed.
  c.send({
    cmd: 'publish',
    topic: 'alias/other',
    payload: Buffer.from('third'),
    qos: 0,
    dup: false,
    retain: false,
    properties: { topicAlias: 1 }
  })
  c.send({ cmd: 'publish', topic: '', payload: Buffer.from('fourth'), qos: 0, dup: false, retain: false, properties: { topicAlias: 1 } })

  const got = await sub.inbox.take(4)
  assert.deepEqual(
    got.map((m) => [m.topic, m.payload.toString()]),
    [
      ['alias/long/topic', 'first'],
      ['alias/long/topic', 'second'],
      ['alias/other', 'third'],
      ['alias/other', 'fourth']
    ]
  )
  for (const m of got) assert.equal(m.packet.properties?.topicAlias, undefined)
})

test("inbound Topic Alias above the broker's Topic Alias Maximum → DISCONNECT 0x94 and close", async (t) => {
  const running = await startBroker({ topicAliasMaximum: 2 })
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 5)
  assert.equal(c.connack.properties?.topicAliasMaximum, 2)

  c.send({ cmd: 'publish', topic: 'alias/x', payload: Buffer.from('x'), qos: 0, dup: false, retain: false, properties: { topicAlias: 3 } })
  // [MQTT-3.3.2-9]: 0x94 Topic Alias invalid.
  const disconnect = await nextOf(c.raw, 'disconnect')
  assert.equal(disconnect.reasonCode, 0x94)
  assert.equal(await c.raw.waitClosed(), true)
})

test('inbound Topic Alias with an empty topic and an alias never set → DISCONNECT 0x82 Protocol Error', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 5)

  c.send({ cmd: 'publish', topic: '', payload: Buffer.from('x'), qos: 0, dup: false, retain: false, properties: { topicAlias: 1 } })
  const disconnect = await nextOf(c.raw, 'disconnect')
  assert.equal(disconnect.reasonCode, 0x82)
  assert.equal(await c.raw.waitClosed(), true)
})

test('outbound Topic Alias: a client with Topic Alias Maximum 5 gets the alias, then an empty topic with it', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 5, { properties: { topicAliasMaximum: 5 } })
  assert.deepEqual(await rawSubscribe(c, [{ topic: 'ob/#', qos: 0 }]), [0])
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })

  await pub.client.publishAsync('ob/temperature/kitchen', 'one', { qos: 1 })
  await pub.client.publishAsync('ob/temperature/kitchen', 'two', { qos: 1 })

  const first = await nextOf(c.raw, 'publish')
  const alias = first.properties?.topicAlias
  assert.equal(first.topic, 'ob/temperature/kitchen')
  assert.ok(alias !== undefined && alias >= 1 && alias <= 5, `first PUBLISH sets an alias in 1..5, got ${alias}`)
  assert.equal(first.payload.toString(), 'one')
  const second = await nextOf(c.raw, 'publish')
  assert.equal(second.topic, '')
  assert.equal(second.properties?.topicAlias, alias)
  assert.equal(second.payload.toString(), 'two')
})

test('outbound Topic Alias: a client without Topic Alias Maximum never gets an alias', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 5)
  assert.deepEqual(await rawSubscribe(c, [{ topic: 'ob/#', qos: 0 }]), [0])
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })
  await pub.client.publishAsync('ob/t', 'one', { qos: 1 })
  await pub.client.publishAsync('ob/t', 'two', { qos: 1 })
  for (const payload of ['one', 'two']) {
    const p = await nextOf(c.raw, 'publish')
    // [MQTT-3.3.2-8]: no alias greater than the client's maximum (0 = none).
    assert.deepEqual([p.topic, p.payload.toString(), p.properties?.topicAlias], ['ob/t', payload, undefined])
  }
})

test('Maximum Packet Size: a too-big message is skipped for that client, later small ones arrive, the client stays', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 5, { properties: { maximumPacketSize: 100 } })
  assert.deepEqual(await rawSubscribe(c, [{ topic: 'mps/t', qos: 1 }]), [1])
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })

  await pub.client.publishAsync('mps/t', Buffer.alloc(500, 0x61), { qos: 1 })
  await pub.client.publishAsync('mps/t', 'small', { qos: 1 })

  // [MQTT-3.1.2-24], [MQTT-3.1.2-25]: never sent, discarded as if delivered.
  const got = await nextOf(c.raw, 'publish')
  assert.equal(got.payload.toString(), 'small')
  c.send({ cmd: 'puback', messageId: got.messageId })
  await expectSilence(c.raw)
  c.send({ cmd: 'pingreq' })
  await nextOf(c.raw, 'pingresp')
})

test('Request Problem Information (default 1): a DISCONNECT for an error carries a Reason String', async (t) => {
  const running = await startBroker({ topicAliasMaximum: 2 })
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 5)
  c.send({ cmd: 'publish', topic: 'alias/x', payload: Buffer.from('x'), qos: 0, dup: false, retain: false, properties: { topicAlias: 3 } })
  const disconnect = await nextOf(c.raw, 'disconnect')
  assert.equal(disconnect.reasonCode, 0x94)
  const reason = disconnect.properties?.reasonString
  assert.ok(typeof reason === 'string' && reason.length > 0, `reason string: ${reason}`)
})

test('Request Problem Information 0: a SUBACK failure carries no Reason String or User Properties', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const quiet = await connectRaw(t, running.port, 5, { properties: { requestProblemInformation: false } })
  quiet.send({
    cmd: 'subscribe',
    messageId: 1,
    subscriptions: [
      { topic: 'a/#/b', qos: 0 },
      { topic: 'ok', qos: 1 }
    ]
  })
  const suback = await nextOf(quiet.raw, 'suback')
  assert.deepEqual(suback.granted, [0x8f, 1])
  // [MQTT-3.1.2-29]: no Reason String or User Properties on anything but PUBLISH, CONNACK, DISCONNECT.
  assert.equal(suback.properties?.reasonString, undefined)
  assert.equal(suback.properties?.userProperties, undefined)
})

test('an Authentication Method in CONNECT → CONNACK 0x8C Bad authentication method, then close', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const raw = await RawClient.open(running.port, 5)
  t.after(() => raw.destroy())
  raw.send(
    {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clean: true,
      clientId: 'auth',
      keepalive: 0,
      properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: Buffer.from('client-first') }
    },
    5
  )
  const connack = await nextOf(raw, 'connack')
  assert.equal(connack.reasonCode, 0x8c)
  assert.equal(connack.sessionPresent, false)
  assert.equal(await raw.waitClosed(), true)
})

test('an AUTH packet without an Authentication Method in CONNECT → DISCONNECT 0x82 Protocol Error', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 5)
  // Read the bytes: mqtt-packet drops a DISCONNECT whose reason code is not a DISCONNECT code.
  const wire: Buffer[] = []
  c.raw.socket.on('data', (chunk: Buffer) => wire.push(chunk))
  // §3.15: an AUTH when CONNECT had no Authentication Method is a Protocol Error.
  c.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-256' } })
  assert.equal(await c.raw.waitClosed(), true)
  const bytes = Buffer.concat(wire)
  assert.equal(bytes[0], 0xe0, `expected a DISCONNECT, got ${bytes.toString('hex')}`)
  // Remaining length < 128 here, so the reason code is the third byte. 0x8C is a CONNACK-only code (§3.14.2.1).
  assert.equal(bytes[2], 0x82, `DISCONNECT reason code 0x${bytes[2]?.toString(16)}`)
})
