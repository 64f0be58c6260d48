import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { IPublishPacket } from 'mqtt-packet'
import { startBroker } from '../helpers/broker.js'
import { connectClient, connectRaw, nextOf, rawSubscribe } from '../helpers/flow-clients.js'
import { expectSilence } from '../helpers/silence.js'

// QoS 0/1/2 flows in both directions, duplicate suppression, downgrade and the in-flight windows
// (MQTT 3.1.1 §4.3, §4.6; MQTT 5.0 §4.3, §4.9).

const binary = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f, 0x0d, 0x0a, 0xc3, 0x28])

for (const protocolVersion of [4, 5] as const) {
  for (const qos of [0, 1, 2] as const) {
    test(`MQTT ${protocolVersion === 5 ? '5.0' : '3.1.1'} QoS ${qos}: payload arrives intact at the publish QoS`, async (t) => {
      const running = await startBroker()
      t.after(() => running.close())
      const sub = await connectClient(t, running.url, { protocolVersion })
      await sub.client.subscribeAsync('qos/t', { qos: 2 })
      const pub = await connectClient(t, running.url, { protocolVersion })

      await pub.client.publishAsync('qos/t', binary, { qos })

      const got = await sub.inbox.takeOne()
      assert.equal(got.topic, 'qos/t')
      assert.deepEqual(got.payload, binary)
      assert.equal(got.packet.qos, qos)
      assert.equal(got.packet.retain, false)
      await sub.inbox.none()
    })
  }

  test(`MQTT ${protocolVersion === 5 ? '5.0' : '3.1.1'} inbound flows: QoS 1 → PUBACK, QoS 2 → PUBREC, PUBREL → PUBCOMP`, async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    // A matching subscriber, so a 5.0 PUBACK has no reason to say 0x10 No matching subscribers.
    const sub = await connectClient(t, running.url, { protocolVersion })
    await sub.client.subscribeAsync('in/#', { qos: 2 })
    const c = await connectRaw(t, running.port, protocolVersion)

    c.send({ cmd: 'publish', topic: 'in/1', payload: Buffer.from('one'), qos: 1, dup: false, retain: false, messageId: 10 })
    const puback = await nextOf(c.raw, 'puback')
    assert.equal(puback.messageId, 10)
    if (protocolVersion === 5) assert.equal(puback.reasonCode ?? 0, 0)

    c.send({ cmd: 'publish', topic: 'in/2', payload: Buffer.from('two'), qos: 2, dup: false, retain: false, messageId: 11 })
    const pubrec = await nextOf(c.raw, 'pubrec')
    assert.equal(pubrec.messageId, 11)
    if (protocolVersion === 5) assert.equal(pubrec.reasonCode ?? 0, 0)
    c.send({ cmd: 'pubrel', messageId: 11 })
    const pubcomp = await nextOf(c.raw, 'pubcomp')
    assert.equal(pubcomp.messageId, 11)
    if (protocolVersion === 5) assert.equal(pubcomp.reasonCode ?? 0, 0)
    await expectSilence(c.raw)

    const got = await sub.inbox.take(2)
    assert.deepEqual(
      got.map((m) => [m.topic, m.payload.toString(), m.packet.qos]),
      [
        ['in/1', 'one', 1],
        ['in/2', 'two', 2]
      ]
    )
  })

  test(`MQTT ${protocolVersion === 5 ? '5.0' : '3.1.1'} outbound flows: QoS 1 PUBLISH ← PUBACK, QoS 2 PUBLISH ← PUBREC → PUBREL ← PUBCOMP`, async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const c = await connectRaw(t, running.port, protocolVersion)
    assert.deepEqual(await rawSubscribe(c, [{ topic: 'out/#', qos: 2 }]), [2])
    const pub = await connectClient(t, running.url, { protocolVersion })

    await pub.client.publishAsync('out/1', 'one', { qos: 1 })
    const p1 = await nextOf(c.raw, 'publish')
    assert.deepEqual([p1.topic, p1.payload.toString(), p1.qos, p1.dup], ['out/1', 'one', 1, false])
    assert.ok(p1.messageId !== undefined && p1.messageId > 0)
    c.send({ cmd: 'puback', messageId: p1.messageId })

    await pub.client.publishAsync('out/2', 'two', { qos: 2 })
    const p2 = await nextOf(c.raw, 'publish')
    assert.deepEqual([p2.topic, p2.payload.toString(), p2.qos, p2.dup], ['out/2', 'two', 2, false])
    assert.ok(p2.messageId !== undefined && p2.messageId > 0)
    c.send({ cmd: 'pubrec', messageId: p2.messageId })
    const pubrel = await nextOf(c.raw, 'pubrel')
    assert.equal(pubrel.messageId, p2.messageId)
    c.send({ cmd: 'pubcomp', messageId: p2.messageId })

    // Nothing is retransmitted once every flow is complete.
    await expectSilence(c.raw)
  })
}

test('inbound QoS 2: a DUP resend before PUBREL is acknowledged but delivered once; after PUBCOMP the id is new', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const sub = await connectClient(t, running.url, { protocolVersion: 5 })
  await sub.client.subscribeAsync('dup/t', { qos: 2 })
  const c = await connectRaw(t, running.port, 4)
  const publish = (payload: string, dup: boolean): void =>
    c.send({ cmd: 'publish', topic: 'dup/t', payload: Buffer.from(payload), qos: 2, dup, retain: false, messageId: 7 })

  publish('first', false)
  assert.equal((await nextOf(c.raw, 'pubrec')).messageId, 7)
  // [MQTT-4.3.3-9] (5.0: [MQTT-4.3.3-10]): acknowledge again with PUBREC, never deliver twice.
  publish('first', true)
  assert.equal((await nextOf(c.raw, 'pubrec')).messageId, 7)
  c.send({ cmd: 'pubrel', messageId: 7 })
  assert.equal((await nextOf(c.raw, 'pubcomp')).messageId, 7)

  const first = await sub.inbox.takeOne()
  assert.equal(first.payload.toString(), 'first')
  await sub.inbox.none()

  // The packet id is free again: the same id now carries a new application message.
  publish('second', false)
  assert.equal((await nextOf(c.raw, 'pubrec')).messageId, 7)
  c.send({ cmd: 'pubrel', messageId: 7 })
  assert.equal((await nextOf(c.raw, 'pubcomp')).messageId, 7)
  const second = await sub.inbox.takeOne()
  assert.equal(second.payload.toString(), 'second')
  assert.equal(second.packet.qos, 2)
  await sub.inbox.none()
})

test('delivery QoS is the minimum of the publish QoS and the granted QoS', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const sub = await connectClient(t, running.url, { protocolVersion: 4 })
  await sub.client.subscribeAsync({ 'down/1': { qos: 1 }, 'down/0': { qos: 0 }, 'up/2': { qos: 2 } })
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })

  await pub.client.publishAsync('down/1', 'q2-to-q1', { qos: 2 })
  await pub.client.publishAsync('down/0', 'q1-to-q0', { qos: 1 })
  await pub.client.publishAsync('up/2', 'q1-stays-q1', { qos: 1 })

  const got = await sub.inbox.take(3)
  assert.deepEqual(
    got.map((m) => [m.topic, m.payload.toString(), m.packet.qos]),
    [
      ['down/1', 'q2-to-q1', 1],
      ['down/0', 'q1-to-q0', 0],
      ['up/2', 'q1-stays-q1', 1]
    ]
  )
  await sub.inbox.none()
})

test('outgoing packet ids are non-zero and unique among the in-flight QoS 1 and QoS 2 messages', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 4)
  assert.deepEqual(await rawSubscribe(c, [{ topic: 'ids/#', qos: 2 }]), [2])
  const pub = await connectClient(t, running.url, { protocolVersion: 4 })

  for (let i = 0; i < 8; i++) await pub.client.publishAsync(`ids/${i}`, String(i), { qos: i % 2 === 0 ? 1 : 2 })

  const received: IPublishPacket[] = []
  for (let i = 0; i < 8; i++) received.push(await nextOf(c.raw, 'publish'))
  // Never acknowledged, so all eight are in flight at once.
  assert.deepEqual(
    received.map((p) => p.payload.toString()),
    ['0', '1', '2', '3', '4', '5', '6', '7']
  )
  assert.deepEqual(
    received.map((p) => p.qos),
    [1, 2, 1, 2, 1, 2, 1, 2]
  )
  const ids = received.map((p) => p.messageId ?? 0)
  assert.ok(
    ids.every((id) => id > 0 && id <= 0xffff),
    `ids must be 1..65535: ${ids.join(',')}`
  )
  assert.equal(new Set(ids).size, ids.length, `ids must be unique: ${ids.join(',')}`)
})

test('maxInflight 2: an unacknowledging subscriber holds exactly 2 QoS 1 messages until it acknowledges one', async (t) => {
  const running = await startBroker({ maxInflight: 2 })
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 4)
  assert.deepEqual(await rawSubscribe(c, [{ topic: 'win/t', qos: 1 }]), [1])
  const pub = await connectClient(t, running.url, { protocolVersion: 4 })

  for (let i = 0; i < 5; i++) await pub.client.publishAsync('win/t', `m${i}`, { qos: 1 })

  const m0 = await nextOf(c.raw, 'publish')
  const m1 = await nextOf(c.raw, 'publish')
  assert.deepEqual([m0.payload.toString(), m1.payload.toString()], ['m0', 'm1'])
  await expectSilence(c.raw)

  c.send({ cmd: 'puback', messageId: m0.messageId })
  const m2 = await nextOf(c.raw, 'publish')
  assert.equal(m2.payload.toString(), 'm2')
  await expectSilence(c.raw)

  c.send({ cmd: 'puback', messageId: m1.messageId })
  c.send({ cmd: 'puback', messageId: m2.messageId })
  const rest = [await nextOf(c.raw, 'publish'), await nextOf(c.raw, 'publish')]
  assert.deepEqual(
    rest.map((p) => p.payload.toString()),
    ['m3', 'm4']
  )
  await expectSilence(c.raw)
})

test("a 5.0 client's Receive Maximum 1 limits the broker to one unacknowledged QoS 1/2 PUBLISH", async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 5, { properties: { receiveMaximum: 1 } })
  assert.deepEqual(await rawSubscribe(c, [{ topic: 'rm/t', qos: 2 }]), [2])
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })

  await pub.client.publishAsync('rm/t', 'a', { qos: 1 })
  await pub.client.publishAsync('rm/t', 'b', { qos: 2 })
  await pub.client.publishAsync('rm/t', 'c', { qos: 1 })

  // [MQTT-3.3.4-9] (5.0): no more than Receive Maximum unacknowledged QoS > 0 PUBLISHes.
  const a = await nextOf(c.raw, 'publish')
  assert.deepEqual([a.payload.toString(), a.qos], ['a', 1])
  await expectSilence(c.raw)
  c.send({ cmd: 'puback', messageId: a.messageId })

  const b = await nextOf(c.raw, 'publish')
  assert.deepEqual([b.payload.toString(), b.qos], ['b', 2])
  // A QoS 2 message stays counted until PUBCOMP, even after PUBREC.
  c.send({ cmd: 'pubrec', messageId: b.messageId })
  assert.equal((await nextOf(c.raw, 'pubrel')).messageId, b.messageId)
  await expectSilence(c.raw)
  c.send({ cmd: 'pubcomp', messageId: b.messageId })

  const last = await nextOf(c.raw, 'publish')
  assert.deepEqual([last.payload.toString(), last.qos], ['c', 1])
})

test("a 5.0 client exceeding the broker's Receive Maximum gets DISCONNECT 0x93 and is closed", async (t) => {
  const running = await startBroker({ receiveMaximum: 2 })
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 5)
  assert.equal(c.connack.properties?.receiveMaximum, 2)

  // QoS 2 without PUBREL keeps each one unacknowledged (no PUBCOMP yet).
  for (const messageId of [1, 2, 3]) {
    c.send({ cmd: 'publish', topic: 'flood/t', payload: Buffer.from(String(messageId)), qos: 2, dup: false, retain: false, messageId })
  }
  assert.equal((await nextOf(c.raw, 'pubrec')).messageId, 1)
  assert.equal((await nextOf(c.raw, 'pubrec')).messageId, 2)
  // [MQTT-3.3.4-9] (5.0) and §4.9: 0x93 Receive Maximum exceeded.
  const disconnect = await nextOf(c.raw, 'disconnect')
  assert.equal(disconnect.reasonCode, 0x93)
  assert.equal(await c.raw.waitClosed(), true)
})
